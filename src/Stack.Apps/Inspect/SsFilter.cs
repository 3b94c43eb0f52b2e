using System.Net;
using Stack.Sockets.Control;

namespace Stack.Apps.Inspect;

/// <summary>
/// The filter of `stack ss`, in ss's own language (ss(8) "STATE-FILTER" and "EXPRESSION"): any number of
/// `state NAME` / `exclude NAME` first, then an expression of `dport|sport OP [:]PORT` and `dst|src [OP] ADDR[/LEN][:PORT]`
/// joined by `and`, `or`, `not` (or `&amp;`, `|`, `!`) and parentheses; two terms side by side mean `and`. OP is one
/// of = == eq != ne &lt; lt &gt; gt &lt;= le &gt;= ge.
/// </summary>
public sealed class SsFilter
{
    /// <summary>ss's state names for one socket (what <see cref="SocketEntry.State"/> holds).</summary>
    public static readonly IReadOnlyList<string> AllStates =
        ["ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING"];

    /// <summary>ss's default without -a or -l: connections that are neither listening, closed, in TIME-WAIT nor SYN-RECV.</summary>
    public static readonly IReadOnlySet<string> Connected = Except(AllStates, "LISTEN", "UNCONN", "TIME-WAIT", "SYN-RECV");

    private readonly Func<SocketEntry, bool> _expression;

    private SsFilter(IReadOnlySet<string>? states, Func<SocketEntry, bool> expression)
    {
        States = states;
        _expression = expression;
    }

    /// <summary>The states the filter named, or null when it named none (the caller's -a/-l default applies).</summary>
    public IReadOnlySet<string>? States { get; }

    public bool Matches(SocketEntry entry) => _expression(entry);

    /// <exception cref="FormatException">The filter does not parse; the message names the token.</exception>
    public static SsFilter Parse(IEnumerable<string> args)
    {
        var tokens = new Tokens(Tokenize(string.Join(' ', args)));
        HashSet<string>? states = null;
        while (tokens.Peek() is "state" or "exclude")
        {
            bool include = tokens.Next() == "state";
            var named = StateGroup(tokens.Next() ?? throw new FormatException($"'{(include ? "state" : "exclude")}' needs a state name"));
            states ??= include ? [] : [.. AllStates];
            if (include) states.UnionWith(named);
            else states.ExceptWith(named);
        }
        Func<SocketEntry, bool> expression = _ => true;
        if (tokens.Peek() is not null)
        {
            expression = ParseOr(tokens);
            if (tokens.Peek() is { } extra) throw new FormatException($"unexpected '{extra}' in the filter");
        }
        return new SsFilter(states, expression);
    }

    /// <summary>A state name or group as ss(8) lists them.</summary>
    private static HashSet<string> StateGroup(string name) => name.ToLowerInvariant() switch
    {
        "all" => new HashSet<string>(AllStates),
        "connected" => Except(AllStates, "LISTEN", "UNCONN"),
        "synchronized" => Except(AllStates, "LISTEN", "UNCONN", "SYN-SENT"),
        "bucket" => new HashSet<string> { "SYN-RECV", "TIME-WAIT" },
        "big" => Except(AllStates, "SYN-RECV", "TIME-WAIT"),
        "established" => new HashSet<string> { "ESTAB" },
        "listening" or "listen" => new HashSet<string> { "LISTEN" },
        "closed" => new HashSet<string> { "UNCONN" },
        var s when AllStates.Contains(s.ToUpperInvariant()) => new HashSet<string> { s.ToUpperInvariant() },
        _ => throw new FormatException($"unknown state '{name}' (established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, " +
            "time-wait, closed, close-wait, last-ack, listening, closing, or all, connected, synchronized, bucket, big)"),
    };

    private static HashSet<string> Except(IEnumerable<string> all, params string[] these) => [.. all.Except(these)];

    private static Func<SocketEntry, bool> ParseOr(Tokens t)
    {
        var left = ParseAnd(t);
        while (t.Peek() is "or" or "|" or "||")
        {
            t.Next();
            var l = left;
            var r = ParseAnd(t);
            left = e => l(e) || r(e);
        }
        return left;
    }

    private static Func<SocketEntry, bool> ParseAnd(Tokens t)
    {
        var left = ParseUnary(t);
        while (t.Peek() is { } next && next is not ("or" or "|" or "||" or ")"))
        {
            if (next is "and" or "&" or "&&") t.Next();
            var l = left;
            var r = ParseUnary(t);
            left = e => l(e) && r(e);
        }
        return left;
    }

    private static Func<SocketEntry, bool> ParseUnary(Tokens t)
    {
        switch (t.Next())
        {
            case null:
                throw new FormatException("the filter ends too soon");
            case "not" or "!":
                var inner = ParseUnary(t);
                return e => !inner(e);
            case "(":
                var group = ParseOr(t);
                if (t.Next() != ")") throw new FormatException("a '(' has no ')'");
                return group;
            case "dport":
                return PortTerm(true, t);
            case "sport":
                return PortTerm(false, t);
            case "dst":
                return AddressTerm(true, t);
            case "src":
                return AddressTerm(false, t);
            case var other:
                throw new FormatException($"unexpected '{other}' in the filter (dport, sport, dst, src, and, or, not, ( ))");
        }
    }

    private static Func<SocketEntry, bool> PortTerm(bool peer, Tokens t)
    {
        var op = Operator(t.Next()) ?? throw new FormatException($"{(peer ? "dport" : "sport")} needs an operator such as = or >");
        var text = t.Next() ?? throw new FormatException("a port is missing");
        int port = ParsePort(text.StartsWith(':') ? text[1..] : text)
            ?? throw new FormatException($"'{text}' is not a port");
        return e => op(peer ? e.PeerPort : e.LocalPort, port);
    }

    private static Func<SocketEntry, bool> AddressTerm(bool peer, Tokens t)
    {
        bool negate = false;
        if (t.Peek() is "=" or "==" or "eq") t.Next();
        else if (t.Peek() is "!=" or "ne" or "neq")
        {
            t.Next();
            negate = true;
        }
        var text = t.Next() ?? throw new FormatException("an address is missing");
        var (network, prefix, port) = ParseHostPort(text);
        bool Match(SocketEntry e)
        {
            string a = peer ? e.PeerAddress : e.LocalAddress;
            int p = peer ? e.PeerPort : e.LocalPort;
            if (port is { } want && p != want) return false;
            return network is null || (IPAddress.TryParse(a, out var ip) && InPrefix(ip, network, prefix));
        }
        return negate ? e => !Match(e) : Match;
    }

    /// <summary>ADDR, ADDR/LEN, ADDR:PORT, [V6]:PORT, [V6/LEN]:PORT, *:PORT or :PORT.</summary>
    private static (IPAddress? Network, int Prefix, int? Port) ParseHostPort(string text)
    {
        string host = text;
        int? port = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) throw new FormatException($"'{text}' has no ']'");
            host = text[1..close];
            if (close + 1 < text.Length)
            {
                if (text[close + 1] != ':') throw new FormatException($"'{text}' is not an address");
                port = PortOrAny(text[(close + 2)..], text);
            }
        }
        else if (text.Count(ch => ch == ':') == 1)
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            host = text[..colon];
            port = PortOrAny(text[(colon + 1)..], text);
        }
        if (host is "" or "*") return (null, 0, port);
        int slash = host.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? host : host[..slash];
        if (!IPAddress.TryParse(addressText, out var address)) throw new FormatException($"'{text}' is not an address");
        int bits = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
        int prefix = bits;
        if (slash >= 0 && (!int.TryParse(host[(slash + 1)..], out prefix) || prefix < 0 || prefix > bits))
            throw new FormatException($"'{text}' has a bad prefix length");
        return (address, prefix, port);
    }

    private static int? PortOrAny(string text, string whole) =>
        text is "*" or "" ? null : ParsePort(text) ?? throw new FormatException($"'{whole}' has a bad port");

    private static int? ParsePort(string text)
    {
        if (int.TryParse(text, out int n)) return n is >= 0 and <= 65535 ? n : null;
        return ServiceNames.Port(text);
    }

    private static bool InPrefix(IPAddress address, IPAddress network, int prefix)
    {
        if (address.IsIPv4MappedToIPv6 && network.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            address = address.MapToIPv4();
        if (address.AddressFamily != network.AddressFamily) return false;
        var a = address.GetAddressBytes();
        var b = network.GetAddressBytes();
        for (int i = 0; i < prefix; i++)
        {
            int mask = 0x80 >> (i % 8);
            if ((a[i / 8] & mask) != (b[i / 8] & mask)) return false;
        }
        return true;
    }

    private static Func<int, int, bool>? Operator(string? token) => token switch
    {
        "=" or "==" or "eq" => (a, b) => a == b,
        "!=" or "ne" or "neq" => (a, b) => a != b,
        "<" or "lt" => (a, b) => a < b,
        ">" or "gt" => (a, b) => a > b,
        "<=" or "le" => (a, b) => a <= b,
        ">=" or "ge" => (a, b) => a >= b,
        _ => null,
    };

    /// <summary>Words, parentheses and operators; an operator glued to its operands ("dport>=:80") splits off.</summary>
    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '(' or ')')
            {
                tokens.Add(c.ToString());
                i++;
            }
            else if (c is '=' or '!' or '<' or '>' or '&' or '|')
            {
                int start = i;
                while (i < text.Length && text[i] is '=' or '!' or '<' or '>' or '&' or '|') i++;
                tokens.Add(text[start..i]);
            }
            else
            {
                int start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')' or '=' or '!' or '<' or '>' or '&' or '|')) i++;
                tokens.Add(text[start..i]);
            }
        }
        return tokens;
    }

    private sealed class Tokens(List<string> list)
    {
        private int _next;

        public string? Peek() => _next < list.Count ? list[_next] : null;

        public string? Next() => _next < list.Count ? list[_next++] : null;
    }
}

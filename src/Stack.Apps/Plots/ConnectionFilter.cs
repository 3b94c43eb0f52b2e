using System.Globalization;
using Stack.IP;
using Stack.Tcp;

namespace Stack.Apps.Plots;

/// <summary>One end in a <see cref="ConnectionFilter"/>: an address, a port, or both; what is left out matches anything.</summary>
internal sealed record EndpointPattern(IpAddress? Address, ushort? Port)
{
    public bool Matches(TcpEndPoint end) => (Address is not { } a || a == end.Address) && (Port is not { } p || p == end.Port);

    /// <summary><c>192.0.2.1</c>, <c>192.0.2.1:7</c>, <c>:7</c>, <c>[2001:db8::1]</c>, <c>[2001:db8::1]:7</c>.</summary>
    public static EndpointPattern? Parse(string text)
    {
        string address, port;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) return null;
            address = text[1..close];
            string rest = text[(close + 1)..];
            if (rest.Length > 0 && rest[0] != ':') return null;
            port = rest.Length > 0 ? rest[1..] : "";
            if (rest.Length > 0 && port.Length == 0) return null;
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) != colon) return null; // IPv6 needs brackets
            address = colon >= 0 ? text[..colon] : text;
            port = colon >= 0 ? text[(colon + 1)..] : "";
            if (colon >= 0 && port.Length == 0) return null;
        }
        IpAddress? a = null;
        if (address.Length > 0)
        {
            if (!IpAddress.TryParse(address, out var parsed)) return null;
            a = parsed;
        }
        ushort? p = null;
        if (port.Length > 0)
        {
            if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out ushort value)) return null;
            p = value;
        }
        return a is null && p is null ? null : new EndpointPattern(a, p);
    }

    public override string ToString() => (Address, Port) switch
    {
        ({ IsIpv6: true } a, { } p) => $"[{a}]:{p}",
        ({ } a, { } p) => $"{a}:{p}",
        ({ } a, null) => a.ToString(),
        (null, { } p) => $":{p}",
        _ => "*",
    };
}

/// <summary>
/// Which connection and direction <c>stack plot --conn</c> draws. <c>END</c> picks connections with that end on
/// either side, and of them the direction carrying the most payload; <c>FROM-TO</c> picks the direction whose
/// data sender matches FROM and receiver TO. An end is <c>ADDR</c>, <c>ADDR:PORT</c>, <c>:PORT</c>, with IPv6
/// addresses in brackets (<c>[2001:db8::2]:7</c>).
/// </summary>
internal sealed record ConnectionFilter(EndpointPattern First, EndpointPattern? Second)
{
    public const string Syntax = "END or FROM-TO, an end being ADDR, ADDR:PORT, :PORT or [IPV6]:PORT (e.g. 192.0.2.1:5001, :7, 192.0.2.2:7-192.0.2.1:40000)";

    public static ConnectionFilter? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('-');
        if (parts.Length > 2) return null;
        var first = EndpointPattern.Parse(parts[0]);
        if (first is null) return null;
        if (parts.Length == 1) return new ConnectionFilter(first, null);
        var second = EndpointPattern.Parse(parts[1]);
        return second is null ? null : new ConnectionFilter(first, second);
    }

    /// <summary>Whether the direction <paramref name="sender"/> to <paramref name="receiver"/> is one this filter picks.</summary>
    public bool Matches(TcpEndPoint sender, TcpEndPoint receiver) => Second is { } to
        ? First.Matches(sender) && to.Matches(receiver)
        : First.Matches(sender) || First.Matches(receiver);

    public override string ToString() => Second is null ? First.ToString() : $"{First}-{Second}";
}

using Stack.Sockets.Control;

namespace Stack.Apps.Inspect;

/// <summary>What `stack ss` was asked: ss's own flags, the stack to ask, and a filter in ss's language (<see cref="SsFilter"/>).</summary>
public sealed record SsOptions
{
    public bool Tcp { get; init; }
    public bool Udp { get; init; }
    public bool Listening { get; init; }
    public bool All { get; init; }
    public bool Info { get; init; }
    public bool Options { get; init; }
    public bool Numeric { get; init; }
    public bool NoHeader { get; init; }
    public bool Ipv4 { get; init; }
    public bool Ipv6 { get; init; }
    public string? Name { get; init; }
    public string? Control { get; init; }
    public IReadOnlyList<string> Filter { get; init; } = [];
}

/// <summary>
/// `stack ss`: a running stack's sockets as ss(8) shows the kernel's, asked over the stack's control socket.
/// Exit 0, 1 when no stack answers, 2 for a filter that does not parse.
/// </summary>
public static class SsCommand
{
    public static int Run(SsOptions options, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        SsFilter filter;
        try
        {
            filter = SsFilter.Parse(options.Filter);
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"stack: ss: {e.Message}");
            return 2;
        }
        var reply = StackTarget.Ask(options.Name, options.Control, ControlProtocol.Sockets, stderr);
        if (reply is null) return 1;
        var rows = Select(reply.Sockets ?? [], options, filter);
        SsTable.Write(rows, options, stdout);
        return 0;
    }

    /// <summary>The sockets to show: protocol (-t, -u; both when neither), family, states (filter, -l, -a) and expression.</summary>
    public static IReadOnlyList<SocketEntry> Select(IEnumerable<SocketEntry> sockets, SsOptions options, SsFilter filter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(filter);
        bool anyProtocol = !options.Tcp && !options.Udp;
        var states = filter.States
            ?? (options.All ? new HashSet<string>(SsFilter.AllStates)
                : options.Listening ? new HashSet<string> { "LISTEN", "UNCONN" }
                : SsFilter.Connected);
        return [.. sockets
            .Where(s => anyProtocol || (s.Protocol == "tcp" ? options.Tcp : options.Udp))
            .Where(s => !(options.Ipv4 ^ options.Ipv6) || IsIpv6(s) == options.Ipv6)
            .Where(s => states.Contains(s.State))
            .Where(filter.Matches)
            .OrderBy(s => s.Protocol, StringComparer.Ordinal)
            .ThenBy(s => s.State == "LISTEN" || s.State == "UNCONN" ? 0 : 1)
            .ThenBy(s => s.LocalPort)
            .ThenBy(s => s.PeerAddress, StringComparer.Ordinal)
            .ThenBy(s => s.PeerPort)];
    }

    private static bool IsIpv6(SocketEntry s) => s.LocalAddress.Contains(':', StringComparison.Ordinal);
}

using Stack.Sockets.Dhcp;

namespace Stack.Apps.Commands;

/// <summary>
/// What `stack serve --dhcp` prints on stdout for each change of its lease, one line each:
/// <c>dhcp bound 192.0.2.120/24 router 192.0.2.1 dns 192.0.2.1 lease 120s t1 60s t2 105s server 192.0.2.1</c>,
/// then <c>dhcp renewed …</c>, <c>dhcp expired …</c>, <c>dhcp declined …</c>.
/// </summary>
public static class DhcpLines
{
    /// <summary>Prints each event of <paramref name="dhcp"/> (none when null) to <paramref name="stdout"/>; call on the loop, before the link is up.</summary>
    public static void Print(DhcpAttachment? dhcp, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        if (dhcp is null) return;
        dhcp.Changed += e =>
        {
            stdout.WriteLine(Format(e));
            stdout.Flush();
        };
    }

    public static string Format(DhcpEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return $"dhcp {e.Kind.ToString().ToLowerInvariant()} {e.Lease}";
    }
}

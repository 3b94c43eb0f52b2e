using Stack.Link.Wire;

namespace Stack.Sockets.Dhcp;

/// <summary>
/// How a <see cref="DhcpClient"/> behaves. The defaults are RFC 2131's and RFC 5227's timings; tests shorten
/// them (a TAP test cannot wait 64 s for a retransmission or a minute for a renewal retry).
/// </summary>
public sealed record DhcpClientOptions
{
    /// <summary>
    /// An address from an earlier lease: the client starts in INIT-REBOOT and asks for it again (RFC 2131 §3.2)
    /// instead of discovering.
    /// </summary>
    public Ipv4Address? PreviousAddress { get; init; }

    /// <summary>RFC 2131 §4.1: the first retransmission waits 4 s, doubling each time…</summary>
    public TimeSpan RetransmitInitial { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>…up to 64 s…</summary>
    public TimeSpan RetransmitMax { get; init; } = TimeSpan.FromSeconds(64);

    /// <summary>…each randomized by a uniform −1…+1 s.</summary>
    public TimeSpan RetransmitJitter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>REQUESTs sent in REQUESTING or REBOOTING without an answer before the client starts over from INIT.</summary>
    public int MaxRequestAttempts { get; init; } = 4;

    /// <summary>RFC 2131 §4.4.5: in RENEWING and REBINDING the client waits half the time left, but at least 60 s.</summary>
    public TimeSpan MinRenewRetransmit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>RFC 2131 §3.1.5: after a DECLINE, wait at least 10 s before starting again.</summary>
    public TimeSpan DeclineBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>RFC 5227 §1.1 PROBE_WAIT: a random delay of up to 1 s before the first ARP probe.</summary>
    public TimeSpan ProbeWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>RFC 5227 PROBE_NUM: ARP probes sent for an acknowledged address; 0 skips the check.</summary>
    public int ProbeCount { get; init; } = 3;

    /// <summary>RFC 5227 PROBE_MIN: the least time between probes.</summary>
    public TimeSpan ProbeMin { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>RFC 5227 PROBE_MAX: the most time between probes.</summary>
    public TimeSpan ProbeMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>RFC 5227 ANNOUNCE_WAIT: the wait after the last probe before the address is taken.</summary>
    public TimeSpan AnnounceWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Sets the broadcast bit in DISCOVER and REQUEST (RFC 2131 §4.1): the stack drops unicast IPv4 to an address
    /// it does not have yet, so the server must broadcast its OFFER and ACK. On by default.
    /// </summary>
    public bool RequestBroadcast { get; init; } = true;

    /// <summary>
    /// Treats a longer lease as this long (its T1 and T2 scaled to fit): for tests, which cannot wait out a real
    /// server's shortest lease (dnsmasq's is 2 minutes). Null: the server's lease as given.
    /// </summary>
    public TimeSpan? MaxLeaseTime { get; init; }

    /// <summary>Source of the transaction ids and of the randomized waits; seed it for reproducible tests.</summary>
    public Random Random { get; init; } = Random.Shared;
}

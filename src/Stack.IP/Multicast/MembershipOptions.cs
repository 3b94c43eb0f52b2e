namespace Stack.IP.Multicast;

/// <summary>
/// How the host side of MLD (RFC 3810, RFC 2710) and IGMP (RFC 3376, RFC 2236) behaves. The defaults are the
/// RFCs' and Linux's.
/// </summary>
public sealed record MembershipOptions
{
    /// <summary>
    /// Send reports and answer queries. Off, the stack still receives the groups it joined, but announces none of
    /// them (a switch that snoops MLD or IGMP may then stop forwarding them).
    /// </summary>
    public bool SendReports { get; init; } = true;

    /// <summary>
    /// The Robustness Variable (RFC 3810 §9.1, RFC 3376 §8.1): how many times a state change is reported. A
    /// querier's QRV replaces it, as on Linux.
    /// </summary>
    public int Robustness { get; init; } = 2;

    /// <summary>Between the repetitions of a state-change report: at most this (RFC 3810 §9.11, RFC 3376 §8.11: 1 s).</summary>
    public TimeSpan UnsolicitedReportInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The same for MLDv1 and IGMPv1/v2 reports, in compatibility mode (RFC 2710 §7.10, RFC 2236 §8.10: 10 s).</summary>
    public TimeSpan OlderUnsolicitedReportInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The querier's Query Interval (RFC 3810 §9.2: 125 s), for the older-version querier timeout.</summary>
    public TimeSpan QueryInterval { get; init; } = TimeSpan.FromSeconds(125);

    /// <summary>The Query Response Interval (RFC 3810 §9.3: 10 s), for the older-version querier timeout.</summary>
    public TimeSpan QueryResponseInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reports disabled: membership still filters what is received.</summary>
    public static MembershipOptions Silent { get; } = new() { SendReports = false };
}

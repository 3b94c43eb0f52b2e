namespace Stack.Sockets.Dhcp;

/// <summary>RFC 2131 §4.4 figure 5's states, plus the RFC 5227 address check and a stopped client.</summary>
public enum DhcpState
{
    Init,
    Selecting,
    Requesting,
    InitReboot,
    Rebooting,

    /// <summary>RFC 5227 §2.1: ARP-probing an acknowledged address before taking it (RFC 2131 §4.4.1's "final check").</summary>
    Probing,
    Bound,
    Renewing,
    Rebinding,

    /// <summary>Released or stopped: sends nothing until started again.</summary>
    Stopped,
}

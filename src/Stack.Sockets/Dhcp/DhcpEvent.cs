using Stack.Link.Time;

namespace Stack.Sockets.Dhcp;

/// <summary>What happened to a lease.</summary>
public enum DhcpEventKind
{
    /// <summary>A new lease: the address is assigned, the router installed.</summary>
    Bound,

    /// <summary>The server extended the lease (RENEWING, unicast to it).</summary>
    Renewed,

    /// <summary>Some server extended the lease (REBINDING, broadcast).</summary>
    Rebound,

    /// <summary>The lease ran out unanswered: the address and its routes are withdrawn.</summary>
    Expired,

    /// <summary>A server said NAK: the address (if it was assigned) is withdrawn and the client starts over.</summary>
    Nak,

    /// <summary>An ARP probe found the offered address in use: DHCPDECLINE sent, the client starts over later.</summary>
    Declined,

    /// <summary>The client gave the lease back (DHCPRELEASE).</summary>
    Released,
}

/// <summary>One change of a lease, raised on the stack's loop.</summary>
public sealed record DhcpEvent(DhcpEventKind Kind, DhcpLease Lease, Instant At);

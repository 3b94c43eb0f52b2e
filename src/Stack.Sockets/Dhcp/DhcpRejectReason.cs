namespace Stack.Sockets.Dhcp;

/// <summary>Why the DHCP client turned a received message away (each is counted in <see cref="DhcpStatistics"/>).</summary>
public enum DhcpRejectReason
{
    /// <summary>Shorter than the fixed BOOTP header and magic cookie, or an option runs past the end.</summary>
    Truncated,

    /// <summary>op is not BOOTREPLY (2): another client's request, or garbage.</summary>
    NotAReply,

    /// <summary>htype/hlen are not Ethernet's (1, 6).</summary>
    BadHardwareType,

    /// <summary>The options do not start with RFC 2131 §3's magic cookie 99.130.83.99.</summary>
    BadMagicCookie,

    /// <summary>An option with a length or value its type does not allow (a 3-byte mask, a non-contiguous one, an MTU under 68…).</summary>
    BadOption,

    /// <summary>No option 53: a BOOTP reply, not DHCP.</summary>
    MissingMessageType,

    /// <summary>The transaction id matches no exchange of ours.</summary>
    WrongXid,

    /// <summary>chaddr is not our MAC: a reply to another client.</summary>
    WrongClientAddress,

    /// <summary>A message type the current state does not wait for (a late OFFER, an ACK while bound…).</summary>
    UnexpectedMessage,

    /// <summary>An OFFER, ACK or NAK without option 54 (RFC 2131 table 3 requires it).</summary>
    MissingServerIdentifier,

    /// <summary>An ACK or NAK from a server other than the one we asked.</summary>
    WrongServer,

    /// <summary>yiaddr is no address a host can have (0, broadcast, multicast, loopback, class E).</summary>
    BadYourAddress,

    /// <summary>An ACK to a REQUEST without option 51 (RFC 2131 table 3 requires it).</summary>
    MissingLeaseTime,
}

namespace Stack.Sockets.Dhcp.Wire;

/// <summary>RFC 2132 §9.6: the DHCP message type (option 53).</summary>
public enum DhcpMessageType : byte
{
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
}

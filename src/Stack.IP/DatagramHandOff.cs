namespace Stack.IP;

/// <summary>
/// Offers a datagram that no connection or socket of this stack claims to another shard of a multi-queue stack
/// (the kernel may steer a flow's packets to another queue than the one that owns it): true when the hand-off took
/// it, and the transport then answers nothing (no RST, no port unreachable). Called on the loop, inside
/// <see cref="IIpTransport.OnDatagram"/>; the datagram's spans are valid only during the call.
/// </summary>
public delegate bool DatagramHandOff(in IpDatagram datagram);

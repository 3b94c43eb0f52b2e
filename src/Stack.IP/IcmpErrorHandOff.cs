namespace Stack.IP;

/// <summary>
/// Offers an ICMP error that no transport state here claims (<see cref="IIpTransport.ClaimsIcmpError"/>) to another
/// shard of a multi-queue stack, where the connection or socket it is about may live: true when the hand-off took
/// it, and it goes no further here. Called on the loop; the error's spans are valid only during the call.
/// </summary>
public delegate bool IcmpErrorHandOff(in IcmpError error);

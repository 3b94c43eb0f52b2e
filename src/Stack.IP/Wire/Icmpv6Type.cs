namespace Stack.IP.Wire;

/// <summary>ICMPv6 message types (RFC 4443 §2.1, RFC 4861 §4, RFC 2710, RFC 3810).</summary>
public enum Icmpv6Type : byte
{
    DestinationUnreachable = 1,
    PacketTooBig = 2,
    TimeExceeded = 3,
    ParameterProblem = 4,
    EchoRequest = 128,
    EchoReply = 129,
    MulticastListenerQuery = 130,
    MulticastListenerReport = 131,
    MulticastListenerDone = 132,
    RouterSolicitation = 133,
    RouterAdvertisement = 134,
    NeighborSolicitation = 135,
    NeighborAdvertisement = 136,
    Redirect = 137,
    MulticastListenerReportV2 = 143,
}

/// <summary>ICMPv6 codes (RFC 4443 §3). Each belongs to the type named in its comment.</summary>
public static class Icmpv6Code
{
    // Destination unreachable (§3.1).
    public const byte NoRoute = 0;
    public const byte AdministrativelyProhibited = 1;
    public const byte AddressUnreachable = 3;
    public const byte PortUnreachable = 4;

    // Time exceeded (§3.3).
    public const byte HopLimitExceeded = 0;
    public const byte FragmentReassemblyTimeExceeded = 1;

    // Parameter problem (§3.4).
    public const byte ErroneousHeaderField = 0;
    public const byte UnrecognizedNextHeader = 1;
    public const byte UnrecognizedOption = 2;
}

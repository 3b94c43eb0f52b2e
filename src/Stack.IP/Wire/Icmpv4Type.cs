namespace Stack.IP.Wire;

/// <summary>ICMPv4 message types (RFC 792).</summary>
public enum Icmpv4Type : byte
{
    EchoReply = 0,
    DestinationUnreachable = 3,
    SourceQuench = 4,
    Redirect = 5,
    EchoRequest = 8,
    TimeExceeded = 11,
    ParameterProblem = 12,
    Timestamp = 13,
    TimestampReply = 14,
}

/// <summary>ICMPv4 codes (RFC 792, RFC 1191). Each belongs to the type named in its comment.</summary>
public static class Icmpv4Code
{
    // Destination unreachable.
    public const byte NetUnreachable = 0;
    public const byte HostUnreachable = 1;
    public const byte ProtocolUnreachable = 2;
    public const byte PortUnreachable = 3;
    public const byte FragmentationNeeded = 4;

    // Time exceeded.
    public const byte TtlExceeded = 0;
    public const byte FragmentReassemblyTimeExceeded = 1;
}

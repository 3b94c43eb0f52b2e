namespace Stack.Scripting;

/// <summary>What a packet line's <c>[ect0]</c>-style clause says of the IP TOS / traffic class byte.</summary>
public enum ScriptTosCheck
{
    /// <summary>No clause: an inbound packet is sent not-ECT; an outbound one's byte is not checked.</summary>
    None,

    /// <summary><c>[noecn]</c>, <c>[ect0]</c>, <c>[ect1]</c>, <c>[ce]</c>: the ECN field (low two bits) is this value.</summary>
    Ecn,

    /// <summary><c>[ect01]</c> (outbound only): the ECN field is ECT(0) or ECT(1).</summary>
    EcnEct01,

    /// <summary><c>[tos 0x..]</c>: the whole byte.</summary>
    Tos,
}

/// <summary>
/// A packet line's IP clause, as packetdrill's <c>opt_ip_info</c>: written <c>[...]</c> or <c>(...)</c> right after
/// the direction. <see cref="Value"/> is the ECN codepoint (RFC 3168 §5: 0 not-ECT, 1 ECT(1), 2 ECT(0), 3 CE) or
/// the TOS byte.
/// </summary>
public readonly record struct ScriptIpInfo(ScriptTosCheck Check, byte Value)
{
    /// <summary>The byte an inbound packet carries: the TOS for <c>[tos]</c>, else the ECN field alone.</summary>
    public byte TrafficClass => Check is ScriptTosCheck.Ecn or ScriptTosCheck.Tos ? Value : (byte)0;

    /// <summary>Null when <paramref name="actual"/> (the stack's TOS / traffic class byte) satisfies the clause.</summary>
    public string? Mismatch(byte actual)
    {
        int ecn = actual & 3;
        return Check switch
        {
            ScriptTosCheck.Ecn when ecn != Value => $"expected IP ECN {EcnName(Value)}, got {EcnName(ecn)}",
            ScriptTosCheck.EcnEct01 when ecn is not (1 or 2) => $"expected IP ECN ect0 or ect1, got {EcnName(ecn)}",
            ScriptTosCheck.Tos when actual != Value => $"expected IP tos 0x{Value:x2}, got tos 0x{actual:x2}",
            _ => null,
        };
    }

    public static string EcnName(int codepoint) => codepoint switch
    {
        1 => "ect1",
        2 => "ect0",
        3 => "ce",
        _ => "noecn",
    };

    public override string ToString() => Check switch
    {
        ScriptTosCheck.Ecn => $"[{EcnName(Value)}]",
        ScriptTosCheck.EcnEct01 => "[ect01]",
        ScriptTosCheck.Tos => $"[tos 0x{Value:x}]",
        _ => "",
    };
}

using System.Text;

namespace Stack.Scripting;

/// <summary>
/// An inbound ICMP error line, <c>&lt; icmp unreachable frag_needed mtu 1200 [1:1461(1460)]</c>: the script's
/// host (or a router) reports trouble with a segment the stack sent. The runner builds it as packetdrill's
/// new_icmp_packet does: the ICMP header, then the quoted IP header of the stack's own connection (total length
/// IP + TCP header + <see cref="QuotedPayload"/>) and the first 8 bytes of its TCP header (ports and the sequence
/// number <see cref="QuotedSeq"/>, relative to the stack's ISN). Type and code are packetdrill's names (or
/// <c>type_N</c> / <c>code_N</c>), resolved per family when the script runs.
/// </summary>
public sealed record IcmpEvent(int Line, ScriptTime Time, ScriptIpInfo Ip, string Type, string? Code, long? Mtu,
    uint QuotedSeq, uint QuotedPayload, bool QuotesSegment) : ScriptEvent(Line, Time)
{
    public override string FormatAction()
    {
        var s = new StringBuilder("< ");
        if (Ip.Check != ScriptTosCheck.None) s.Append(Ip).Append(' ');
        s.Append("icmp ").Append(Type);
        if (Code is not null) s.Append(' ').Append(Code);
        if (Mtu is { } mtu) s.Append(" mtu ").Append(mtu);
        if (QuotesSegment) s.Append(" [").Append(QuotedSeq).Append(':').Append(unchecked(QuotedSeq + QuotedPayload))
            .Append('(').Append(QuotedPayload).Append(")]");
        return s.ToString();
    }
}

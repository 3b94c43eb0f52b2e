using System.Text;
using Stack.Tcp.Wire;

namespace Stack.Scripting;

/// <summary>
/// A segment the stack sent, with sequence numbers made relative the way a script writes them: <see cref="Seq"/>
/// from the sender's ISN, <see cref="Ack"/> and SACK edges from the receiver's. Options are kept in wire order.
/// <see cref="ToString"/> prints it in the same notation as the expected <see cref="PacketEvent"/>.
/// </summary>
public sealed record ActualSegment(
    TcpFlags Flags,
    uint Seq,
    uint Ack,
    ushort Window,
    int PayloadLength,
    ValueList<ScriptTcpOption> Options,
    bool OptionsMalformed = false,
    ushort UrgentPointer = 0)
{
    /// <summary>From raw header fields; <paramref name="senderIsn"/> is the stack's ISN for its own segments.</summary>
    public static ActualSegment FromWire(TcpFlags flags, uint sequenceNumber, uint acknowledgmentNumber, ushort window,
        int payloadLength, ReadOnlySpan<byte> optionBytes, uint senderIsn, uint receiverIsn, ushort urgentPointer = 0)
    {
        bool ok = ScriptTcpOption.TryDecode(optionBytes, out var options);
        var relative = new ValueList<ScriptTcpOption>(options.Select(o => o is ScriptTcpOption.Sack sack
            ? new ScriptTcpOption.Sack(new ValueList<SackBlock>(sack.Blocks.Select(b =>
                new SackBlock(unchecked(b.Left - receiverIsn), unchecked(b.Right - receiverIsn)))))
            : o));
        return new ActualSegment(flags, unchecked(sequenceNumber - senderIsn), unchecked(acknowledgmentNumber - receiverIsn),
            window, payloadLength, relative, !ok, urgentPointer);
    }

    /// <summary>From a parsed segment: the options byte for byte as sent, the payload length from the segment.</summary>
    public static ActualSegment From(in TcpHeader header, uint senderIsn, uint receiverIsn) =>
        FromWire(header.Flags, header.SequenceNumber, header.AcknowledgmentNumber, header.Window, header.Payload.Length,
            header.OptionBytes, senderIsn, receiverIsn, header.UrgentPointer);

    /// <summary>From a <see cref="TcpRepr"/> as the stack would emit it (options in <see cref="TcpOptions.Write"/>'s layout).</summary>
    public static ActualSegment From(in TcpRepr repr, int payloadLength, uint senderIsn, uint receiverIsn)
    {
        Span<byte> options = stackalloc byte[TcpOptions.MaxLength];
        int length = repr.Options.Write(options);
        return FromWire(repr.Flags, repr.SequenceNumber, repr.AcknowledgmentNumber, repr.Window, payloadLength,
            options[..length], senderIsn, receiverIsn, repr.UrgentPointer);
    }

    public uint EndSeq => unchecked(Seq + (uint)PayloadLength);

    /// <summary>packetdrill notation, e.g. <c>P. 1:1001(1000) ack 1 win 257 &lt;nop,nop,TS val 5 ecr 9&gt;</c>.</summary>
    public override string ToString()
    {
        var s = new StringBuilder(PacketEvent.FormatFlags(Flags));
        s.Append(' ').Append(Seq).Append(':').Append(EndSeq).Append('(').Append(PayloadLength).Append(')');
        if ((Flags & TcpFlags.Ack) != 0) s.Append(" ack ").Append(Ack);
        s.Append(" win ").Append(Window);
        if ((Flags & TcpFlags.Urg) != 0) s.Append(" urg ").Append(UrgentPointer);
        if (Options.Count > 0 || OptionsMalformed) s.Append(' ').Append(FormatOptions());
        return s.ToString();
    }

    public string FormatOptions()
    {
        var list = ScriptTcpOption.FormatList(Options);
        return OptionsMalformed ? list.Insert(list.Length - 1, Options.Count == 0 ? "malformed" : ",malformed") : list;
    }
}

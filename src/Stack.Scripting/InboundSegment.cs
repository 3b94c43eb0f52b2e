using Stack.Tcp.Wire;

namespace Stack.Scripting;

/// <summary>
/// An inbound script line made ready to inject: absolute sequence numbers (the peer's ISN plus the script's relative
/// seq, the stack's ISN plus the relative ack and SACK edges), and the options encoded byte for byte in the
/// script's order. Write it with <see cref="Write"/>, which uses <see cref="TcpRepr.WriteWithOptionBytes"/>:
/// <see cref="Header"/>'s own <see cref="TcpRepr.Options"/> is left empty, as <see cref="TcpOptions.Write"/> would
/// reorder them into Linux's layout. The payload is <see cref="PayloadLength"/> zero bytes.
/// </summary>
public sealed record InboundSegment(TcpRepr Header, ValueList<byte> OptionBytes, int PayloadLength)
{
    public static InboundSegment From(PacketEvent packet, ushort sourcePort, ushort destinationPort, uint peerIsn, uint stackIsn)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (packet.Direction != PacketDirection.In)
            throw new ArgumentException($"Line {packet.Line} is an outbound expectation, not a packet to inject.", nameof(packet));
        if (!packet.StartSeq.IsExact || !packet.PayloadLength.IsExact || !packet.Window.IsExact || packet.OptionsKind == PacketOptionsKind.Any)
            throw new ArgumentException($"Line {packet.Line}: an injected packet needs every value spelled out.", nameof(packet));
        var options = packet.Options.Select(o => o is ScriptTcpOption.Sack sack
            ? new ScriptTcpOption.Sack(new ValueList<SackBlock>(sack.Blocks.Select(b =>
                new SackBlock(unchecked(b.Left + stackIsn), unchecked(b.Right + stackIsn)))))
            : o).ToList();
        uint ack = packet.Ack.IsExact ? unchecked(packet.Ack.Value + stackIsn) : 0;
        var header = new TcpRepr(sourcePort, destinationPort, unchecked(packet.StartSeq.Value + peerIsn), ack,
            packet.Flags, (ushort)packet.Window.Value, default, (ushort)(packet.UrgentPointer.IsExact ? packet.UrgentPointer.Value : 0));
        return new InboundSegment(header, new ValueList<byte>(ScriptTcpOption.Encode(options)), (int)packet.PayloadLength.Value);
    }

    public int HeaderLength => TcpHeader.MinLength + OptionBytes.Count;

    /// <summary>Header plus payload: the length for the pseudo-header checksum.</summary>
    public int SegmentLength => HeaderLength + PayloadLength;

    /// <summary>
    /// Writes the segment and returns <see cref="SegmentLength"/>. <paramref name="pseudoHeaderSum"/> is
    /// <c>InternetChecksum.PseudoHeader(src, dst, 6, SegmentLength)</c>.
    /// </summary>
    public int Write(Span<byte> buffer, ulong pseudoHeaderSum)
    {
        Span<byte> options = stackalloc byte[TcpOptions.MaxLength];
        for (int i = 0; i < OptionBytes.Count; i++) options[i] = OptionBytes[i];
        byte[] payload = new byte[PayloadLength];
        return Header.WriteWithOptionBytes(buffer, options[..OptionBytes.Count], payload, pseudoHeaderSum);
    }
}

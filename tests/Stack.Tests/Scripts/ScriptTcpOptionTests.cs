using Stack.Scripting;
using Stack.Link.Wire;
using Stack.Tcp.Wire;

namespace Stack.Tests.Scripts;

public sealed class ScriptTcpOptionTests
{
    private static PacketEvent Packet(string line) => Assert.IsType<PacketEvent>(Assert.Single(ScriptParser.Parse(line).Events));

    [Theory]
    [InlineData("<mss 1000,sackOK,nop,nop,nop,wscale 7>", "02 04 03 e8 04 02 01 01 01 03 03 07")]
    [InlineData("<mss 1460,nop,nop,sackOK,nop,wscale 8>", "02 04 05 b4 01 01 04 02 01 03 03 08")]
    [InlineData("<nop,nop,TS val 100 ecr 0>", "01 01 08 0a 00 00 00 64 00 00 00 00")]
    [InlineData("<nop,nop,sack 1001:2001>", "01 01 05 0a 00 00 03 e9 00 00 07 d1")]
    [InlineData("<eol,eol,eol,eol>", "00 00 00 00")]
    [InlineData("<>", "")]
    public void The_encoder_lays_options_out_in_script_order(string options, string hex)
    {
        var p = Packet($"+0 < S 0:0(0) win 100 {options}");
        Assert.Equal(hex, Convert.ToHexString(ScriptTcpOption.Encode(p.Options)).ToLowerInvariant()
            .Chunk(2).Select(c => new string(c)).Aggregate("", (a, b) => a.Length == 0 ? b : a + " " + b));
    }

    [Fact]
    public void Decoding_reads_options_back_in_wire_order()
    {
        var p = Packet("+0 < S 0:0(0) win 100 <mss 1000,sackOK,nop,nop,nop,wscale 7>");
        Assert.True(ScriptTcpOption.TryDecode(ScriptTcpOption.Encode(p.Options), out var decoded));
        Assert.Equal(p.Options, decoded);

        Assert.True(ScriptTcpOption.TryDecode([30, 4, 1, 2, 1, 1, 1, 1], out var unknown));
        Assert.Equal("<kind 30 len 4,nop,nop,nop,nop>", ScriptTcpOption.FormatList(unknown));

        Assert.False(ScriptTcpOption.TryDecode([1, 2, 9], out var malformed));
        Assert.Equal("<nop>", ScriptTcpOption.FormatList(malformed));
    }

    [Fact]
    public void Unchecked_values_cannot_be_encoded()
    {
        var p = Packet("+0 > S 0:0(0) <mss ...>");
        Assert.Throws<InvalidOperationException>(() => ScriptTcpOption.Encode(p.Options));
    }

    [Fact]
    public void An_inbound_line_becomes_a_segment_with_absolute_numbers_and_the_scripts_option_bytes()
    {
        var p = Packet("+0 < S. 0:0(0) ack 1 win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>");
        var segment = InboundSegment.From(p, sourcePort: 8080, destinationPort: 40000, peerIsn: 1_000_000, stackIsn: 0xFFFF_FFFF);
        Assert.Equal(32, segment.HeaderLength);
        Assert.Equal(32, segment.SegmentLength);

        var src = Ipv4Address.Parse("192.0.2.1");
        var dst = Ipv4Address.Parse("192.0.2.2");
        var buffer = new byte[100];
        int length = segment.Write(buffer, InternetChecksum.PseudoHeader(src, dst, 6, segment.SegmentLength));
        Assert.Equal(32, length);

        Assert.True(TcpHeader.TryParse(buffer.AsSpan(0, length), InternetChecksum.PseudoHeader(src, dst, 6, length), out var header, out _));
        Assert.Equal((ushort)8080, header.SourcePort);
        Assert.Equal((ushort)40000, header.DestinationPort);
        Assert.Equal(1_000_000u, header.SequenceNumber);
        Assert.Equal(0u, header.AcknowledgmentNumber); // the stack's ISN + 1, wrapped
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, header.Flags);
        Assert.Equal((ushort)32792, header.Window);
        Assert.Equal("020403E8040201010103030" + "7", Convert.ToHexString(header.OptionBytes));
        Assert.Equal("<mss 1000,sackOK,nop,nop,nop,wscale 7>", TcpOptions.Describe(header.OptionBytes));
    }

    [Fact]
    public void Inbound_payload_and_sack_edges_are_placed()
    {
        var p = Packet("+0 < P. 1:101(100) ack 1001 win 257 <nop,nop,sack 2001:3001>");
        var segment = InboundSegment.From(p, 1, 2, peerIsn: 500, stackIsn: 7000);
        var buffer = new byte[200];
        int length = segment.Write(buffer, 0);
        Assert.Equal(20 + 12 + 100, length);
        Assert.True(TcpHeader.TryParseUnchecked(buffer.AsSpan(0, length), out var header, out _));
        Assert.Equal(501u, header.SequenceNumber);
        Assert.Equal(8001u, header.AcknowledgmentNumber);
        Assert.Equal(100, header.Payload.Length);
        var options = header.ParseOptions();
        Assert.Equal((9001u, 10001u), options.GetSackBlock(0));
    }

    [Fact]
    public void Outbound_lines_are_not_injected()
    {
        var p = Packet("+0 > S 0:0(0) <...>");
        Assert.Throws<ArgumentException>(() => InboundSegment.From(p, 1, 2, 0, 0));
    }

    [Fact]
    public void WriteWithOptionBytes_rejects_an_option_area_that_is_not_whole_words()
    {
        var repr = new TcpRepr(1, 2, 3, 4, TcpFlags.Syn, 100);
        Assert.Throws<ArgumentException>(() => repr.WriteWithOptionBytes(new byte[64], [1, 1, 1], [], 0));
        Assert.Throws<ArgumentException>(() => repr.WriteWithOptionBytes(new byte[64], new byte[44], [], 0));
        Assert.Throws<ArgumentException>(() => repr.WriteWithOptionBytes(new byte[23], [1, 1, 1, 1], [], 0));
    }

    [Fact]
    public void WriteWithOptionBytes_matches_Write_when_the_bytes_are_linux_layout()
    {
        var options = new TcpOptions { Mss = 1460, SackPermitted = true, HasTimestamps = true, TsVal = 5, TsEcr = 6, WindowScale = 7 };
        var repr = new TcpRepr(1000, 2000, 12345, 678, TcpFlags.Syn | TcpFlags.Ack, 65535, options);
        byte[] payload = [1, 2, 3];
        var expected = new byte[100];
        int n = repr.Write(expected, payload, 77);
        var optionBytes = new byte[TcpOptions.MaxLength];
        int m = options.Write(optionBytes);
        var actual = new byte[100];
        Assert.Equal(n, (repr with { Options = default }).WriteWithOptionBytes(actual, optionBytes.AsSpan(0, m), payload, 77));
        Assert.Equal(expected, actual);
    }
}

using Stack.Scripting;
using Stack.Tcp.Wire;

namespace Stack.Tests.Scripts;

public sealed class PacketExpectationTests
{
    private const uint StackIsn = 0x1000_0000;
    private const uint PeerIsn = 0xFFFF_FF00;

    private static PacketEvent Expect(string line) => Assert.IsType<PacketEvent>(Assert.Single(ScriptParser.Parse("+0 > " + line).Events));

    /// <summary>A segment as the stack would send it, numbers absolute, options in Linux's layout.</summary>
    private static ActualSegment Sent(TcpFlags flags, uint seq, uint ack, ushort window, int payload = 0, TcpOptions options = default) =>
        ActualSegment.From(new TcpRepr(8080, 40000, StackIsn + seq, unchecked(PeerIsn + ack), flags, window, options), payload, StackIsn, PeerIsn);

    private static TcpOptions SynOptions(uint tsVal = 42, uint tsEcr = 100) =>
        new() { Mss = 1460, SackPermitted = true, HasTimestamps = true, TsVal = tsVal, TsEcr = tsEcr, WindowScale = 7 };

    [Fact]
    public void A_matching_syn_ack_is_accepted()
    {
        var actual = Sent(TcpFlags.Syn | TcpFlags.Ack, 0, 1, 65535, options: SynOptions());
        Assert.Equal("S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 42 ecr 100,nop,wscale 7>", actual.ToString());
        Assert.Null(PacketExpectation.Match(Expect("S. 0:0(0) ack 1 <mss 1460,sackOK,TS val ... ecr 100,nop,wscale 7>"), actual));
        Assert.Null(PacketExpectation.Match(Expect("S. 0:0(0) ack 1 win 65535 <...>"), actual));
        // The stack's TS val is its clock: not compared unless asked for.
        Assert.Null(PacketExpectation.Match(Expect("S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 7 ecr 100,nop,wscale 7>"), actual));
        Assert.Equal("expected options <mss 1460,sackOK,TS val 7 ecr 100,nop,wscale 7>, got options <mss 1460,sackOK,TS val 42 ecr 100,nop,wscale 7> (option 3: expected TS val 7 ecr 100, got TS val 42 ecr 100)",
            PacketExpectation.Match(Expect("S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 7 ecr 100,nop,wscale 7>"), actual, new PacketMatchSettings(CheckTimestampValue: true)));
    }

    [Fact]
    public void A_wrong_ack_is_named()
    {
        var actual = Sent(TcpFlags.Psh | TcpFlags.Ack, 1, 1001, 502, payload: 1000);
        Assert.Equal("expected ack 1, got ack 1001", PacketExpectation.Match(Expect("P. 1:1001(1000) ack 1"), actual));
    }

    [Fact]
    public void Every_differing_field_is_listed()
    {
        var actual = Sent(TcpFlags.Ack, 501, 7, 100, payload: 10);
        Assert.Equal("expected flags P., got flags .; expected seq 1, got seq 501; expected payload length 1000, got payload length 10; expected ack 1, got ack 7; expected win 257, got win 100",
            PacketExpectation.Match(Expect("P. 1:1001(1000) ack 1 win 257"), actual));
    }

    [Fact]
    public void Unchecked_sequence_values_still_check_what_is_written()
    {
        var actual = Sent(TcpFlags.Psh | TcpFlags.Ack, 1, 1, 100, payload: 500);
        Assert.Null(PacketExpectation.Match(Expect("P. 1:...(...) ack 1"), actual));
        Assert.Null(PacketExpectation.Match(Expect("P. ...:501(...) ack ... win ..."), actual));
        Assert.Equal("expected end seq 1001, got end seq 501", PacketExpectation.Match(Expect("P. ...:1001(...) ack 1"), actual));
    }

    [Fact]
    public void Options_must_match_in_order_and_count()
    {
        var bare = Sent(TcpFlags.Ack, 1, 1, 100);
        Assert.Equal("expected options <nop,nop,TS val ... ecr 5>, got options <> (expected 3 options, got 0)",
            PacketExpectation.Match(Expect(". 1:1(0) ack 1 <nop,nop,TS val ... ecr 5>"), bare));

        var withTs = Sent(TcpFlags.Ack, 1, 1, 100, options: new TcpOptions { HasTimestamps = true, TsVal = 9, TsEcr = 4 });
        Assert.Equal("expected no options, got options <nop,nop,TS val 9 ecr 4>", PacketExpectation.Match(Expect(". 1:1(0) ack 1"), withTs));
        Assert.Equal("expected options <nop,nop,TS val ... ecr 5>, got options <nop,nop,TS val 9 ecr 4> (option 3: expected TS val ... ecr 5, got TS val 9 ecr 4)",
            PacketExpectation.Match(Expect(". 1:1(0) ack 1 <nop,nop,TS val ... ecr 5>"), withTs));

        var syn = Sent(TcpFlags.Syn, 0, 0, 65535, options: SynOptions());
        Assert.Equal("expected options <mss 1460,nop,nop,sackOK,nop,wscale 7>, got options <mss 1460,sackOK,TS val 42 ecr 100,nop,wscale 7> (option 2: expected nop, got sackOK)",
            PacketExpectation.Match(Expect("S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 7>"), syn));
        Assert.Equal("expected options <mss 1460,sackOK,TS val ... ecr ...,nop,wscale 8>, got options <mss 1460,sackOK,TS val 42 ecr 100,nop,wscale 7> (option 5: expected wscale 8, got wscale 7)",
            PacketExpectation.Match(Expect("S 0:0(0) <mss 1460,sackOK,TS val ... ecr ...,nop,wscale 8>"), syn));
    }

    [Fact]
    public void Sack_blocks_are_compared_relative_to_the_peers_isn()
    {
        var options = new TcpOptions();
        options.AddSackBlock(unchecked(PeerIsn + 1001), unchecked(PeerIsn + 2001));
        var actual = Sent(TcpFlags.Ack, 1, 1, 100, options: options);
        Assert.Equal(". 1:1(0) ack 1 win 100 <nop,nop,sack 1001:2001>", actual.ToString());
        Assert.Null(PacketExpectation.Match(Expect(". 1:1(0) ack 1 <nop,nop,sack 1001:2001>"), actual));
    }

    [Fact]
    public void A_reset_without_ack_flag_reports_the_flags()
    {
        var actual = Sent(TcpFlags.Rst, 0, 0, 0);
        Assert.Equal("expected flags R., got flags R", PacketExpectation.Match(Expect("R. 0:0(0) ack 1 win 0"), actual));
        Assert.Equal("R 0:0(0) win 0", actual.ToString());
    }

    [Fact]
    public void Malformed_actual_options_are_reported_as_such()
    {
        var actual = ActualSegment.FromWire(TcpFlags.Ack, 1, 1, 10, 0, [1, 2, 9, 0], 0, 0);
        Assert.True(actual.OptionsMalformed);
        Assert.Equal(". 1:1(0) ack 1 win 10 <nop,malformed>", actual.ToString());
        Assert.Equal("expected options <nop,nop,nop,nop>, got options <nop,malformed> (the actual options are malformed)",
            PacketExpectation.Match(Expect(". 1:1(0) ack 1 <nop,nop,nop,nop>"), actual));
        Assert.Null(PacketExpectation.Match(Expect(". 1:1(0) ack 1 <...>"), actual));
    }

    [Fact]
    public void The_header_view_gives_the_same_segment_as_the_repr()
    {
        var repr = new TcpRepr(8080, 40000, StackIsn + 1, PeerIsn + 5, TcpFlags.Psh | TcpFlags.Ack, 300, new TcpOptions { HasTimestamps = true, TsVal = 1, TsEcr = 2 });
        var buffer = new byte[100];
        int length = repr.Write(buffer, new byte[10], 0);
        Assert.True(TcpHeader.TryParseUnchecked(buffer.AsSpan(0, length), out var header, out _));
        Assert.Equal(ActualSegment.From(repr, 10, StackIsn, PeerIsn), ActualSegment.From(header, StackIsn, PeerIsn));
    }
}

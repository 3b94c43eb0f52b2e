using CsCheck;
using Stack.Link.Diagnostics;
using Stack.Tcp.Wire;

namespace Stack.Tests.Transport;

public sealed class TcpRoundTripTests
{
    [Fact]
    public void Random_segments_survive_write_then_parse()
    {
        Gen.Select(TransportGen.Repr, TransportGen.Payload, Gen.Bool).Sample(seed: FixedSeedSampling.Seed, (repr, payload, ipv6) =>
        {
            var ip = IpEnvelope.Of(ipv6);
            var buffer = new byte[TcpOptions.MaxLength + 20 + payload.Length];
            int length = repr.Write(buffer, payload, ip.PseudoHeader(6, repr.HeaderLength + payload.Length));
            Assert.Equal(repr.HeaderLength + payload.Length, length);
            Assert.Equal(0, repr.HeaderLength % 4);

            var segment = buffer.AsSpan(0, length);
            Assert.True(TcpHeader.TryParse(segment, ip.PseudoHeader(6, length), out var header, out var reason), reason.ToString());
            Assert.Equal(RejectReason.None, reason);
            Assert.Equal(TransportGen.AsReceived(repr), TcpRepr.From(header));
            Assert.Equal(repr.HeaderLength, header.HeaderLength);
            Assert.True(header.Payload.SequenceEqual(payload));
            int expectedSegLen = payload.Length + ((repr.Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((repr.Flags & TcpFlags.Fin) != 0 ? 1 : 0);
            Assert.Equal(expectedSegLen, header.SegmentLength);
        }, iter: 2000);
    }

    [Fact]
    public void Writing_the_header_in_place_matches_writing_a_copy()
    {
        Gen.Select(TransportGen.Repr, TransportGen.Payload).Sample(seed: FixedSeedSampling.Seed, (repr, payload) =>
        {
            ulong pseudo = IpEnvelope.V4.PseudoHeader(6, repr.HeaderLength + payload.Length);
            var copied = new byte[repr.HeaderLength + payload.Length];
            repr.Write(copied, payload, pseudo);

            // A frame-sized buffer with the payload already placed and trailing bytes that must stay untouched.
            var inPlace = new byte[copied.Length + 7];
            inPlace.AsSpan().Fill(0xEE);
            payload.CopyTo(inPlace.AsSpan(repr.HeaderLength));
            Assert.Equal(copied.Length, repr.WriteHeaderInPlace(inPlace, payload.Length, pseudo));
            Assert.Equal(copied, inPlace[..copied.Length]);
            Assert.All(inPlace[copied.Length..], b => Assert.Equal(0xEE, b));
        }, iter: 500);
    }

    [Fact]
    public void Syn_options_are_laid_out_as_linux_lays_them_out()
    {
        // Linux's SYN: MSS, SACK_PERM + TS in one word pair, NOP + WS.
        var options = new TcpOptions { Mss = 1460, SackPermitted = true, HasTimestamps = true, TsVal = 1, TsEcr = 0, WindowScale = 7 };
        Assert.Equal(Hex("020405b4 0402080a 00000001 00000000 01030307"), Encode(options));

        // Without SACK-permitted the TS word gets NOP NOP; SACK-permitted alone gets NOP NOP too.
        Assert.Equal(Hex("0101080a 00000005 00000006"), Encode(new TcpOptions { HasTimestamps = true, TsVal = 5, TsEcr = 6 }));
        Assert.Equal(Hex("020405b4 01010402 01030300"), Encode(new TcpOptions { Mss = 1460, SackPermitted = true, WindowScale = 0 }));
    }

    [Fact]
    public void Sack_blocks_that_do_not_fit_are_dropped_from_the_end()
    {
        var options = new TcpOptions { HasTimestamps = true, TsVal = 1, TsEcr = 2 };
        for (uint i = 0; i < 4; i++)
            options.AddSackBlock(100 * i, 100 * i + 50);
        // Timestamps take 12 bytes; NOP NOP SACK takes 4 + 8n of the remaining 28, so n = 3.
        Assert.Equal(40, options.EncodedLength);
        Assert.Equal(Hex("0101080a 00000001 00000002 0101051a 00000000 00000032 00000064 00000096 000000c8 000000fa"), Encode(options));

        var noTimestamps = options;
        noTimestamps.HasTimestamps = false;
        Assert.Equal(36, noTimestamps.EncodedLength);
        Assert.Throws<InvalidOperationException>(() => options.AddSackBlock(1, 2));
    }

    [Fact]
    public void ToString_speaks_packetdrill()
    {
        var syn = new TcpRepr(1234, 80, 0, 0, TcpFlags.Syn, 65535,
            new TcpOptions { Mss = 1460, SackPermitted = true, HasTimestamps = true, TsVal = 1, TsEcr = 0, WindowScale = 7 });
        Assert.Equal("S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>", syn.ToString());
        Assert.Equal("S. 0:0(0) ack 1 win 65535", new TcpRepr(80, 1234, 0, 1, TcpFlags.Syn | TcpFlags.Ack, 65535).ToString());
        Assert.Equal("P. 1:1001(1000) ack 1 win 502", new TcpRepr(1, 2, 1, 1, TcpFlags.Psh | TcpFlags.Ack, 502).ToString(1000));
        Assert.Equal("F. 5:5(0) ack 7 win 1", new TcpRepr(1, 2, 5, 7, TcpFlags.Fin | TcpFlags.Ack, 1).ToString());
        Assert.Equal("R 9:9(0) win 0", new TcpRepr(1, 2, 9, 0, TcpFlags.Rst, 0).ToString());
        var sack = new TcpOptions();
        sack.AddSackBlock(10, 20);
        Assert.Equal(". 1:1(0) ack 1 win 9 <nop,nop,sack 10:20>", new TcpRepr(1, 2, 1, 1, TcpFlags.Ack, 9, sack).ToString());
    }

    internal static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", "", StringComparison.Ordinal));

    private static byte[] Encode(TcpOptions options)
    {
        var b = new byte[options.EncodedLength];
        Assert.Equal(b.Length, options.Write(b));
        return b;
    }
}

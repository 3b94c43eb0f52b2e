using System.Buffers.Binary;
using CsCheck;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using Stack.Tcp.Wire;

namespace Stack.Tests.Transport;

public sealed class TcpMalformedTests
{
    private static readonly TcpRepr DataSegment = new(40000, 443, 1_000_000, 2_000_000, TcpFlags.Psh | TcpFlags.Ack, 502,
        new TcpOptions { HasTimestamps = true, TsVal = 123456, TsEcr = 654321 });

    private static byte[] Write(TcpRepr repr, int payloadLength, IpEnvelope ip)
    {
        var payload = Enumerable.Range(0, payloadLength).Select(i => (byte)(i * 7 + 3)).ToArray();
        var segment = new byte[repr.HeaderLength + payloadLength];
        repr.Write(segment, payload, ip.PseudoHeader(6, segment.Length));
        return segment;
    }

    /// <summary>A segment with hand-written option bytes and a valid checksum.</summary>
    private static byte[] WithOptionBytes(byte[] options, int dataOffsetWords = -1)
    {
        var segment = new byte[20 + options.Length];
        new TcpRepr(1, 2, 3, 4, TcpFlags.Ack, 5).Write(segment, options, 0);
        options.CopyTo(segment.AsSpan(20));
        segment[12] = (byte)((dataOffsetWords < 0 ? segment.Length / 4 : dataOffsetWords) << 4);
        Checksum(segment);
        return segment;
    }

    private static void Checksum(byte[] segment)
    {
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16), 0);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16),
            InternetChecksum.Finish(InternetChecksum.Add(IpEnvelope.V4.PseudoHeader(6, segment.Length), segment)));
    }

    private static RejectReason Parse(byte[] segment)
    {
        bool ok = TcpHeader.TryParse(segment, IpEnvelope.V4.PseudoHeader(6, segment.Length), out _, out var reason);
        Assert.Equal(ok, reason == RejectReason.None);
        return reason;
    }

    [Fact]
    public void Every_prefix_is_rejected()
    {
        foreach (var ip in new[] { IpEnvelope.V4, IpEnvelope.V6 })
        {
            var segment = Write(DataSegment, 100, ip);
            for (int n = 0; n < segment.Length; n++)
            {
                var prefix = segment.AsSpan(0, n);
                Assert.False(TcpHeader.TryParse(prefix, ip.PseudoHeader(6, n), out _, out var reason));
                Assert.Equal(n < TcpHeader.MinLength ? RejectReason.Truncated : RejectReason.BadChecksum, reason);

                // Without the checksum, a prefix that holds the whole header is a shorter but valid segment.
                bool ok = TcpHeader.TryParseUnchecked(prefix, out var h, out reason);
                Assert.Equal(n >= DataSegment.HeaderLength, ok);
                Assert.Equal(n < TcpHeader.MinLength ? RejectReason.Truncated : n < DataSegment.HeaderLength ? RejectReason.BadHeaderLength : RejectReason.None, reason);
                if (ok) Assert.Equal(n - DataSegment.HeaderLength, h.Payload.Length);
            }
        }
    }

    [Fact]
    public void Any_flipped_bit_is_a_bad_checksum()
    {
        var syn = new TcpRepr(1, 2, 3, 0, TcpFlags.Syn, 65535,
            new TcpOptions { Mss = 1460, SackPermitted = true, HasTimestamps = true, TsVal = 9, WindowScale = 7 });
        foreach (var ip in new[] { IpEnvelope.V4, IpEnvelope.V6 })
        {
            var segment = Write(syn, 33, ip);
            ulong pseudo = ip.PseudoHeader(6, segment.Length);
            Assert.True(TcpHeader.TryParse(segment, pseudo, out _, out _));
            for (int bit = 0; bit < segment.Length * 8; bit++)
            {
                var copy = segment.ToArray();
                copy[bit / 8] ^= (byte)(0x80 >> (bit % 8));
                Assert.False(TcpHeader.TryParse(copy, pseudo, out _, out var reason), $"bit {bit}");
                Assert.Equal(RejectReason.BadChecksum, reason);
            }
        }
    }

    [Fact]
    public void Random_mutations_never_throw()
    {
        Gen.Select(TransportGen.Repr, Gen.Byte.Array[0, 40], Gen.Int[1, 6].SelectMany(n => Gen.Select(Gen.Int, Gen.Byte).Array[n]))
            .Sample(seed: FixedSeedSampling.Seed, (repr, payload, mutations) =>
            {
                var ip = IpEnvelope.V4;
                var segment = new byte[repr.HeaderLength + payload.Length];
                repr.Write(segment, payload, ip.PseudoHeader(6, segment.Length));
                foreach (var (at, value) in mutations)
                    segment[(int)((uint)at % (uint)segment.Length)] = value;
                if (TcpHeader.TryParse(segment, ip.PseudoHeader(6, segment.Length), out var h, out _))
                    Touch(h);
                if (TcpHeader.TryParseUnchecked(segment, out h, out _))
                    Touch(h);
            }, iter: 5000);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        Gen.Byte.Array[0, 80].Sample(seed: FixedSeedSampling.Seed, bytes =>
        {
            if (TcpHeader.TryParseUnchecked(bytes, out var h, out _))
                Touch(h);
            if (TcpOptions.TryParse(bytes, out var o, out _))
                _ = o.ToString();
            _ = TcpOptions.Describe(bytes);
            TcpHeader.TryReadPortsAndSeq(bytes, out _, out _, out _);
        }, iter: 5000);
    }

    [Fact]
    public void An_option_list_longer_than_a_header_with_five_SACK_blocks_keeps_four()
    {
        // Found by the property above: 2 + 8 × 5 bytes of SACK only fit in a list handed in directly.
        var list = new byte[42];
        list[0] = 5;
        list[1] = 42;
        Assert.True(TcpOptions.TryParse(list, out var options, out _));
        Assert.Equal(4, options.SackBlockCount);
    }

    private static void Touch(TcpHeader h)
    {
        _ = (h.SourcePort, h.DestinationPort, h.SequenceNumber, h.AcknowledgmentNumber, h.HeaderLength, h.Flags,
            h.Window, h.Checksum, h.UrgentPointer, h.OptionBytes.Length, h.Payload.Length, h.SegmentLength);
        _ = TcpRepr.From(h).ToString(h.Payload.Length);
    }

    [Fact]
    public void Data_offset_must_cover_the_fixed_header_and_fit_the_segment()
    {
        Assert.Equal(RejectReason.BadHeaderLength, Parse(WithOptionBytes([], dataOffsetWords: 4)));
        Assert.Equal(RejectReason.BadHeaderLength, Parse(WithOptionBytes([], dataOffsetWords: 0)));
        Assert.Equal(RejectReason.BadHeaderLength, Parse(WithOptionBytes([1, 1, 1, 1], dataOffsetWords: 15)));
        Assert.Equal(RejectReason.None, Parse(WithOptionBytes([1, 1, 1, 1])));
        // A smaller data offset turns trailing option bytes into payload.
        var segment = WithOptionBytes([1, 1, 1, 1], dataOffsetWords: 5);
        Assert.True(TcpHeader.TryParse(segment, IpEnvelope.V4.PseudoHeader(6, segment.Length), out var h, out _));
        Assert.Equal(4, h.Payload.Length);
    }

    [Theory]
    [InlineData("0200", "a length of 0")]
    [InlineData("0201", "a length of 1")]
    [InlineData("01010801", "a length of 1 after NOPs")]
    [InlineData("01010102", "a kind with no length byte")]
    [InlineData("020405", "an MSS cut short")]
    [InlineData("01010108 0a000000 00000000", "timestamps running past the end")]
    [InlineData("fe07f989 0000", "an unknown option running past the end")]
    public void Malformed_option_lists_are_rejected(string hex, string why)
    {
        var options = TcpRoundTripTests.Hex(hex);
        Assert.False(TcpOptions.TryParse(options, out var parsed, out var reason), why);
        Assert.Equal(RejectReason.BadOption, reason);
        Assert.Equal(default, parsed);

        // Inside a segment (padded to whole words with EOL, which the bad option swallows or precedes).
        var padded = options.Concat(new byte[(4 - options.Length % 4) % 4]).ToArray();
        if (!TcpOptions.TryParse(padded, out _, out _))
            Assert.Equal(RejectReason.BadOption, Parse(WithOptionBytes(padded)));
    }

    [Fact]
    public void Unknown_options_are_skipped_by_their_length()
    {
        // Kind 254 (RFC 6994 experimental) with length 6, then an MSS.
        Assert.True(TcpOptions.TryParse(TcpRoundTripTests.Hex("fe06f989 0000 020405b4"), out var o, out _));
        Assert.Equal((ushort)1460, o.Mss);
    }

    [Fact]
    public void Eol_ends_the_list_and_what_follows_is_ignored()
    {
        Assert.True(TcpOptions.TryParse(TcpRoundTripTests.Hex("020405b4 00ff0013 0201"), out var o, out _));
        Assert.Equal(new TcpOptions { Mss = 1460 }, o);
        Assert.Equal(RejectReason.None, Parse(WithOptionBytes(TcpRoundTripTests.Hex("020405b4 00ff0013 02010000"))));
    }

    [Theory]
    [InlineData("020605b4 0000", "MSS of length 6")]
    [InlineData("0203 05", "MSS of length 3")]
    [InlineData("03040700", "window scale of length 4")]
    [InlineData("0403 00", "SACK-permitted of length 3")]
    [InlineData("0808 00000001 0000", "timestamps of length 8")]
    [InlineData("0506 00000001", "SACK of length 6")]
    [InlineData("0502", "SACK with no blocks")]
    public void Known_options_with_the_wrong_length_are_ignored_as_Linux_does(string hex, string why)
    {
        Assert.True(TcpOptions.TryParse(TcpRoundTripTests.Hex(hex), out var o, out var reason), why);
        Assert.Equal(RejectReason.None, reason);
        Assert.Equal(default, o);
    }

    [Fact]
    public void A_repeated_option_overwrites_the_earlier_one()
    {
        Assert.True(TcpOptions.TryParse(TcpRoundTripTests.Hex("02040100 02040200"), out var o, out _));
        Assert.Equal((ushort)0x200, o.Mss);
    }

    [Fact]
    public void An_icmp_quote_of_eight_bytes_yields_ports_and_sequence_number()
    {
        var segment = Write(DataSegment, 10, IpEnvelope.V4);
        Assert.True(TcpHeader.TryReadPortsAndSeq(segment.AsSpan(0, 8), out var sport, out var dport, out var seq));
        Assert.Equal((DataSegment.SourcePort, DataSegment.DestinationPort, DataSegment.SequenceNumber), (sport, dport, seq));
        Assert.False(TcpHeader.TryReadPortsAndSeq(segment.AsSpan(0, 7), out _, out _, out _));
        Assert.False(TcpHeader.TryParseUnchecked(segment.AsSpan(0, 8), out _, out var reason));
        Assert.Equal(RejectReason.Truncated, reason);
    }

    [Fact]
    public void Segment_length_counts_syn_and_fin()
    {
        foreach (var (flags, expected) in new[] { (TcpFlags.Syn, 11), (TcpFlags.Fin | TcpFlags.Ack, 11), (TcpFlags.Syn | TcpFlags.Fin, 12), (TcpFlags.Ack, 10) })
        {
            var segment = Write(DataSegment with { Flags = flags }, 10, IpEnvelope.V4);
            Assert.True(TcpHeader.TryParse(segment, IpEnvelope.V4.PseudoHeader(6, segment.Length), out var h, out _));
            Assert.Equal(expected, h.SegmentLength);
        }
    }
}

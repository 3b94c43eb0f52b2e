using System.Buffers.Binary;
using CsCheck;
using PacketDotNet;
using PacketDotNet.Tcp;
using PacketDotNet.Utils;
using Stack.Tcp.Wire;

namespace Stack.Tests.Transport;

/// <summary>PacketDotNet 1.4.8 as an independent reader and writer of TCP segments.</summary>
public sealed class TcpOracleTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Segments_we_write_parse_in_PacketDotNet(bool ipv6)
    {
        var ip = IpEnvelope.Of(ipv6);
        Gen.Select(TransportGen.Repr, TransportGen.Payload).Sample(seed: FixedSeedSampling.Seed, (repr, payload) =>
        {
            // PacketDotNet 1.4.8 throws NotImplementedException reading options when URG is set.
            repr = repr with { Flags = repr.Flags & ~TcpFlags.Urg };
            var segment = new byte[repr.HeaderLength + payload.Length];
            repr.Write(segment, payload, ip.PseudoHeader(6, segment.Length));

            var tcp = ip.ParseWithPacketDotNet(6, segment).Extract<TcpPacket>();
            Assert.NotNull(tcp);
            Assert.True(tcp.ValidTcpChecksum);
            Assert.Equal(repr.SourcePort, tcp.SourcePort);
            Assert.Equal(repr.DestinationPort, tcp.DestinationPort);
            Assert.Equal(repr.SequenceNumber, tcp.SequenceNumber);
            Assert.Equal(repr.AcknowledgmentNumber, tcp.AcknowledgmentNumber);
            Assert.Equal((byte)repr.Flags, (byte)tcp.Flags);
            Assert.Equal(repr.Window, tcp.WindowSize);
            Assert.Equal(repr.UrgentPointer, (ushort)tcp.UrgentPointer); // 1.4.8 reads it as a signed short
            Assert.Equal(repr.HeaderLength, tcp.DataOffset * 4);
            Assert.Equal(payload, tcp.PayloadData ?? []);
            Assert.Equal(TransportGen.AsReceived(repr.Options), ReadOptions(tcp));
        }, iter: 300);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Segments_PacketDotNet_writes_parse_in_ours(bool ipv6)
    {
        var ip = IpEnvelope.Of(ipv6);
        Gen.Select(TransportGen.Repr, TransportGen.Payload, Gen.Int).Sample(seed: FixedSeedSampling.Seed, (repr, payload, seed) =>
        {
            // Options encoded by the test in a shuffled order with EOL padding, not in our writer's layout.
            var options = EncodeShuffled(repr.Options, new Random(seed), out var expectedOptions);
            var header = new byte[20 + options.Length];
            header[12] = (byte)(header.Length / 4 << 4);
            var tcp = new TcpPacket(new ByteArraySegment(header))
            {
                SourcePort = repr.SourcePort,
                DestinationPort = repr.DestinationPort,
                SequenceNumber = repr.SequenceNumber,
                AcknowledgmentNumber = repr.AcknowledgmentNumber,
                Flags = (ushort)repr.Flags,
                WindowSize = repr.Window,
                UrgentPointer = repr.UrgentPointer,
            };
            if (options.Length > 0)
                tcp.Options = options;
            tcp.PayloadData = payload;
            ip.WrapWithPacketDotNet(tcp);
            Assert.True(tcp.ValidTcpChecksum);

            var bytes = tcp.Bytes;
            Assert.True(TcpHeader.TryParse(bytes, ip.PseudoHeader(6, bytes.Length), out var parsed, out var reason), reason.ToString());
            Assert.Equal(repr with { Options = expectedOptions }, TcpRepr.From(parsed));
            Assert.Equal(tcp.Checksum, parsed.Checksum);
            Assert.True(parsed.Payload.SequenceEqual(payload));
        }, iter: 300);
    }

    /// <summary>The options as PacketDotNet reads them; SACK edges from the raw option bytes, since 1.4.8 exposes them as 16-bit values.</summary>
    private static TcpOptions ReadOptions(TcpPacket tcp)
    {
        var o = new TcpOptions();
        foreach (var option in tcp.OptionsCollection ?? []) // null when there are none
        {
            switch (option)
            {
                case MaximumSegmentSizeOption mss: o.Mss = mss.Value; break;
                case WindowScaleFactorOption ws: o.WindowScale = ws.ScaleFactor; break;
                case SelectiveAcknowledgmentPermittedOption: o.SackPermitted = true; break;
                case TimeStampOption ts:
                    o.HasTimestamps = true;
                    o.TsVal = ts.Value;
                    o.TsEcr = ts.EchoReply;
                    break;
                case SelectiveAcknowledgmentOption sack:
                    var raw = sack.Bytes;
                    Assert.Equal(raw.Length, sack.Length);
                    for (int i = 2; i + 8 <= raw.Length; i += 8)
                        o.AddSackBlock(BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(i)), BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(i + 4)));
                    break;
                case NoOperationOption or EndOfOptionsOption: break;
                default: Assert.Fail($"PacketDotNet saw an option we did not write: {option}"); break;
            }
        }
        return o;
    }

    /// <summary>
    /// Encodes the options one by one in random order, then pads with EOL to a multiple of 4. SACK blocks are
    /// limited to what fits; <paramref name="expected"/> is what a parser should report.
    /// </summary>
    private static byte[] EncodeShuffled(TcpOptions options, Random random, out TcpOptions expected)
    {
        var parts = new List<byte[]>();
        if (options.Mss is ushort mss) parts.Add([2, 4, (byte)(mss >> 8), (byte)mss]);
        if (options.WindowScale is byte ws) parts.Add([3, 3, ws]);
        if (options.SackPermitted) parts.Add([4, 2]);
        if (options.HasTimestamps)
        {
            var ts = new byte[10];
            ts[0] = 8;
            ts[1] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(ts.AsSpan(2), options.TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(ts.AsSpan(6), options.TsEcr);
            parts.Add(ts);
        }
        int used = parts.Sum(p => p.Length);
        int blocks = Math.Min(options.SackBlockCount, (40 - used - 2) / 8);
        expected = options;
        expected.ClearSackBlocks();
        if (blocks > 0)
        {
            var sack = new byte[2 + 8 * blocks];
            sack[0] = 5;
            sack[1] = (byte)sack.Length;
            for (int i = 0; i < blocks; i++)
            {
                var (left, right) = options.GetSackBlock(i);
                BinaryPrimitives.WriteUInt32BigEndian(sack.AsSpan(2 + 8 * i), left);
                BinaryPrimitives.WriteUInt32BigEndian(sack.AsSpan(6 + 8 * i), right);
                expected.AddSackBlock(left, right);
            }
            parts.Add(sack);
        }
        var shuffled = parts.OrderBy(_ => random.Next()).SelectMany(p => p).ToList();
        while (shuffled.Count % 4 != 0) shuffled.Add(0);
        return [.. shuffled];
    }
}

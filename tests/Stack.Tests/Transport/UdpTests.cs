using System.Buffers.Binary;
using CsCheck;
using PacketDotNet;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using Stack.Udp.Wire;

namespace Stack.Tests.Transport;

public sealed class UdpTests
{
    private static readonly Gen<(ushort, ushort, byte[])> Datagram = Gen.Select(Gen.UShort, Gen.UShort, Gen.Byte.Array[0, 1500]);

    private static byte[] Write(IpEnvelope ip, ushort sport, ushort dport, byte[] payload)
    {
        var datagram = new byte[UdpHeader.HeaderLength + payload.Length];
        Assert.Equal(datagram.Length, UdpWriter.Write(datagram, sport, dport, payload, ip.PseudoHeader(17, datagram.Length)));
        return datagram;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Random_datagrams_survive_write_then_parse(bool ipv6)
    {
        var ip = IpEnvelope.Of(ipv6);
        Datagram.Sample(seed: FixedSeedSampling.Seed, (sport, dport, payload) =>
        {
            var datagram = Write(ip, sport, dport, payload);
            Assert.True(UdpHeader.TryParse(datagram, ip.PseudoHeader(17, datagram.Length), checksumRequired: ipv6, out var h, out var reason), reason.ToString());
            Assert.Equal(sport, h.SourcePort);
            Assert.Equal(dport, h.DestinationPort);
            Assert.Equal(datagram.Length, h.Length);
            Assert.NotEqual(0, h.Checksum);
            Assert.True(h.Payload.SequenceEqual(payload));

            var inPlace = new byte[datagram.Length];
            payload.CopyTo(inPlace.AsSpan(UdpHeader.HeaderLength));
            UdpWriter.WriteHeaderInPlace(inPlace, sport, dport, ip.PseudoHeader(17, datagram.Length));
            Assert.Equal(datagram, inPlace);
        }, iter: 1000);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Datagrams_we_write_parse_in_PacketDotNet(bool ipv6)
    {
        var ip = IpEnvelope.Of(ipv6);
        Datagram.Sample(seed: FixedSeedSampling.Seed, (sport, dport, payload) =>
        {
            var udp = ip.ParseWithPacketDotNet(17, Write(ip, sport, dport, payload)).Extract<UdpPacket>();
            Assert.NotNull(udp);
            Assert.True(udp.ValidUdpChecksum);
            Assert.Equal(sport, udp.SourcePort);
            Assert.Equal(dport, udp.DestinationPort);
            Assert.Equal(8 + payload.Length, udp.Length);
            Assert.Equal(payload, udp.PayloadData ?? []);
        }, iter: 300);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Datagrams_PacketDotNet_writes_parse_in_ours(bool ipv6)
    {
        var ip = IpEnvelope.Of(ipv6);
        Datagram.Sample(seed: FixedSeedSampling.Seed, (sport, dport, payload) =>
        {
            var udp = new UdpPacket(sport, dport) { PayloadData = payload };
            ip.WrapWithPacketDotNet(udp);
            Assert.True(udp.ValidUdpChecksum);
            if (udp.Checksum == 0)
                return; // PacketDotNet does not send a computed zero as 0xFFFF; one in 65535 datagrams.
            var bytes = udp.Bytes;
            Assert.True(UdpHeader.TryParse(bytes, ip.PseudoHeader(17, bytes.Length), ipv6, out var h, out var reason), reason.ToString());
            Assert.Equal(sport, h.SourcePort);
            Assert.Equal(dport, h.DestinationPort);
            Assert.Equal(udp.Checksum, h.Checksum);
            Assert.True(h.Payload.SequenceEqual(payload));
        }, iter: 300);
    }

    [Fact]
    public void A_computed_zero_checksum_is_sent_as_all_ones()
    {
        var ip = IpEnvelope.V4;
        var datagram = new byte[10];
        ulong pseudo = ip.PseudoHeader(17, datagram.Length);
        UdpWriter.WriteHeaderInPlace(datagram, 1000, 2000, pseudo);
        // Choose the payload word that brings the one's complement sum to 0xFFFF, whose complement is 0.
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(6), 0);
        ushort sum = (ushort)~InternetChecksum.Finish(InternetChecksum.Add(pseudo, datagram));
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(8), (ushort)(0xFFFF - sum));

        UdpWriter.WriteHeaderInPlace(datagram, 1000, 2000, pseudo);
        Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(6)));
        Assert.True(UdpHeader.TryParse(datagram, pseudo, checksumRequired: true, out _, out _));
    }

    [Fact]
    public void A_zero_checksum_means_none_on_ipv4_and_is_rejected_on_ipv6()
    {
        foreach (var ip in new[] { IpEnvelope.V4, IpEnvelope.V6 })
        {
            var datagram = Write(ip, 53, 5353, [1, 2, 3, 4, 5]);
            datagram[6] = datagram[7] = 0;
            datagram[10] ^= 0xFF; // with no checksum, nothing can notice this
            bool ok = UdpHeader.TryParse(datagram, ip.PseudoHeader(17, datagram.Length), checksumRequired: ip.IsIpv6, out var h, out var reason);
            Assert.Equal(!ip.IsIpv6, ok);
            Assert.Equal(ip.IsIpv6 ? RejectReason.BadChecksum : RejectReason.None, reason);
            if (ok) Assert.Equal(0, h.Checksum);
        }
    }

    [Fact]
    public void Lengths_are_checked_and_trailing_bytes_ignored()
    {
        var ip = IpEnvelope.V4;
        var datagram = Write(ip, 7, 9, [0xAA, 0xBB, 0xCC]);
        ulong pseudo = ip.PseudoHeader(17, datagram.Length);

        // Link padding after the datagram is not part of it.
        var padded = datagram.Concat(new byte[20]).ToArray();
        Assert.True(UdpHeader.TryParse(padded, pseudo, true, out var h, out _));
        Assert.Equal(11, h.Length);
        Assert.Equal([0xAA, 0xBB, 0xCC], h.Payload.ToArray());

        for (int n = 0; n < datagram.Length; n++)
        {
            Assert.False(UdpHeader.TryParse(datagram.AsSpan(0, n), ip.PseudoHeader(17, n), true, out _, out var reason));
            Assert.Equal(n < 8 ? RejectReason.Truncated : RejectReason.BadTotalLength, reason);
        }

        foreach (ushort bad in new ushort[] { 0, 7, 12, 0xFFFF })
        {
            var copy = datagram.ToArray();
            BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(4), bad);
            Assert.False(UdpHeader.TryParse(copy, pseudo, false, out _, out var reason));
            Assert.Equal(RejectReason.BadTotalLength, reason);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Any_flipped_bit_is_rejected(bool ipv6)
    {
        var ip = IpEnvelope.Of(ipv6);
        var datagram = Write(ip, 4321, 1234, [.. Enumerable.Range(0, 37).Select(i => (byte)(i * 29))]);
        ulong pseudo = ip.PseudoHeader(17, datagram.Length);
        for (int bit = 0; bit < datagram.Length * 8; bit++)
        {
            var copy = datagram.ToArray();
            copy[bit / 8] ^= (byte)(0x80 >> (bit % 8));
            bool ok = UdpHeader.TryParse(copy, pseudo, ipv6, out _, out var reason);
            if (!ipv6 && BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(6)) == 0)
            {
                Assert.True(ok); // the flip cleared the checksum: over IPv4 that reads as "none"
                continue;
            }
            Assert.False(ok, $"bit {bit}");
            if (bit / 8 is 4 or 5)
                Assert.True(reason is RejectReason.BadTotalLength or RejectReason.BadChecksum, $"bit {bit}: {reason}");
            else
                Assert.Equal(RejectReason.BadChecksum, reason);
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        Gen.Select(Gen.Byte.Array[0, 64], Gen.ULong, Gen.Bool).Sample(seed: FixedSeedSampling.Seed, (bytes, pseudo, required) =>
        {
            if (UdpHeader.TryParse(bytes, pseudo, required, out var h, out _))
                _ = (h.SourcePort, h.DestinationPort, h.Length, h.Checksum, h.Payload.Length);
        }, iter: 5000);
    }
}

using System.Buffers.Binary;
using System.Net;
using PacketDotNet;
using PacketDotNet.Utils;
using Stack.Link.Wire;

namespace Stack.Tests.Transport;

/// <summary>
/// A pair of addresses over IPv4 or IPv6: the pseudo-header sum our parsers take, and a hand-built IP header so
/// that PacketDotNet can parse our transport bytes with their real pseudo-header.
/// </summary>
public sealed record IpEnvelope(bool IsIpv6)
{
    public static readonly IpEnvelope V4 = new(false);
    public static readonly IpEnvelope V6 = new(true);

    public static IpEnvelope Of(bool ipv6) => ipv6 ? V6 : V4;

    private static readonly Ipv4Address Src4 = Ipv4Address.Parse("192.0.2.1");
    private static readonly Ipv4Address Dst4 = Ipv4Address.Parse("198.51.100.200");
    private static readonly Ipv6Address Src6 = Ipv6Address.Parse("2001:db8::1");
    private static readonly Ipv6Address Dst6 = Ipv6Address.Parse("2001:db8:ffff::fe02");

    public IPAddress Source => IsIpv6 ? Src6.ToIPAddress() : Src4.ToIPAddress();
    public IPAddress Destination => IsIpv6 ? Dst6.ToIPAddress() : Dst4.ToIPAddress();

    public ulong PseudoHeader(byte protocol, int length) => IsIpv6
        ? InternetChecksum.PseudoHeader(Src6, Dst6, protocol, length)
        : InternetChecksum.PseudoHeader(Src4, Dst4, protocol, length);

    /// <summary>Wraps transport bytes in an IP header (written here, not by PacketDotNet) and parses it with PacketDotNet.</summary>
    public IPPacket ParseWithPacketDotNet(byte protocol, ReadOnlySpan<byte> transport)
    {
        int headerLength = IsIpv6 ? 40 : 20;
        var bytes = new byte[headerLength + transport.Length];
        if (IsIpv6)
        {
            bytes[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), (ushort)transport.Length);
            bytes[6] = protocol;
            bytes[7] = 64;
            Src6.Write(bytes.AsSpan(8));
            Dst6.Write(bytes.AsSpan(24));
        }
        else
        {
            bytes[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)bytes.Length);
            bytes[6] = 0x40;
            bytes[8] = 64;
            bytes[9] = protocol;
            Src4.Write(bytes.AsSpan(12));
            Dst4.Write(bytes.AsSpan(16));
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(10), ChecksumTests.NaiveChecksum(bytes.AsSpan(0, 20)));
        }
        transport.CopyTo(bytes.AsSpan(headerLength));
        return IsIpv6 ? new IPv6Packet(new ByteArraySegment(bytes)) : new IPv4Packet(new ByteArraySegment(bytes));
    }

    /// <summary>Puts a PacketDotNet transport packet in a PacketDotNet IP packet and has it fill in lengths and checksums.</summary>
    public IPPacket WrapWithPacketDotNet(TransportPacket transport)
    {
        IPPacket ip = IsIpv6 ? new IPv6Packet(Source, Destination) : new IPv4Packet(Source, Destination);
        ip.PayloadPacket = transport;
        ip.UpdateCalculatedValues();
        if (ip is IPv4Packet v4) v4.UpdateIPChecksum();
        switch (transport)
        {
            case TcpPacket tcp: tcp.UpdateTcpChecksum(); break;
            case UdpPacket udp: udp.UpdateUdpChecksum(); break;
        }
        return ip;
    }

    public override string ToString() => IsIpv6 ? "IPv6" : "IPv4";
}

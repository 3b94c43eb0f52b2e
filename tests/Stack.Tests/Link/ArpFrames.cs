using System.Buffers.Binary;
using Stack.Link.Wire;

namespace Stack.Tests.Link;

/// <summary>RFC 826 ARP over Ethernet, built and read by hand so the device tests do not depend on our own ARP code.</summary>
internal readonly record struct ArpFrame(
    MacAddress EthernetDestination, MacAddress EthernetSource, ushort Operation,
    MacAddress SenderMac, Ipv4Address SenderIp, MacAddress TargetMac, Ipv4Address TargetIp)
{
    public const ushort Request = 1;
    public const ushort Reply = 2;
    public const int Length = 14 + 28;

    public static ArpFrame WhoHas(Ipv4Address target, MacAddress senderMac, Ipv4Address senderIp) =>
        new(MacAddress.Broadcast, senderMac, Request, senderMac, senderIp, MacAddress.Zero, target);

    public static ArpFrame IsAt(MacAddress mac, Ipv4Address ip, MacAddress toMac, Ipv4Address toIp) =>
        new(toMac, mac, Reply, mac, ip, toMac, toIp);

    public byte[] ToBytes()
    {
        var f = new byte[Length];
        EthernetDestination.Write(f);
        EthernetSource.Write(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), 1);       // hardware: Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 0x0800);  // protocol: IPv4
        f[18] = 6;
        f[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(20), Operation);
        SenderMac.Write(f.AsSpan(22));
        SenderIp.Write(f.AsSpan(28));
        TargetMac.Write(f.AsSpan(32));
        TargetIp.Write(f.AsSpan(38));
        return f;
    }

    public static ArpFrame? TryRead(ReadOnlySpan<byte> f)
    {
        if (f.Length < Length || BinaryPrimitives.ReadUInt16BigEndian(f[12..]) != 0x0806) return null;
        if (BinaryPrimitives.ReadUInt16BigEndian(f[14..]) != 1 || BinaryPrimitives.ReadUInt16BigEndian(f[16..]) != 0x0800) return null;
        return new ArpFrame(MacAddress.Read(f), MacAddress.Read(f[6..]), BinaryPrimitives.ReadUInt16BigEndian(f[20..]),
            MacAddress.Read(f[22..]), Ipv4Address.Read(f[28..]), MacAddress.Read(f[32..]), Ipv4Address.Read(f[38..]));
    }

    public override string ToString() => Operation == Request
        ? $"{EthernetSource} > {EthernetDestination} ARP who-has {TargetIp} tell {SenderIp} ({SenderMac})"
        : $"{EthernetSource} > {EthernetDestination} ARP {SenderIp} is-at {SenderMac} (to {TargetIp})";
}

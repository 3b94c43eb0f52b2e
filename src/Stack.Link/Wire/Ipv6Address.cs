using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Stack.Link.Wire;

/// <summary>An IPv6 address as a host-order 128-bit integer (the first octet is the most significant).</summary>
public readonly record struct Ipv6Address(UInt128 Value)
{
    public const int Length = 16;

    public static readonly Ipv6Address Unspecified = new(UInt128.Zero);

    /// <summary>ff02::1, all nodes on the link.</summary>
    public static readonly Ipv6Address AllNodes = new(new UInt128(0xFF02_0000_0000_0000UL, 1));

    /// <summary>ff02::2, all routers on the link.</summary>
    public static readonly Ipv6Address AllRouters = new(new UInt128(0xFF02_0000_0000_0000UL, 2));

    public static Ipv6Address Read(ReadOnlySpan<byte> s) => new(BinaryPrimitives.ReadUInt128BigEndian(s));

    public void Write(Span<byte> s) => BinaryPrimitives.WriteUInt128BigEndian(s, Value);

    public bool IsUnspecified => Value == UInt128.Zero;
    public bool IsMulticast => (byte)(Value >> 120) == 0xFF;
    public bool IsLinkLocal => (ushort)(Value >> 112) >> 6 == 0xFE80 >> 6;
    public bool IsLoopback => Value == UInt128.One;

    public bool IsInPrefix(Ipv6Address network, int prefixLength) =>
        prefixLength == 0 || (Value ^ network.Value) >> (128 - prefixLength) == UInt128.Zero;

    /// <summary>RFC 4291 §2.7.1: ff02::1:ffXX:XXXX, from the low 24 bits of the address.</summary>
    public Ipv6Address SolicitedNodeMulticast =>
        new(new UInt128(0xFF02_0000_0000_0000UL, 0x0000_0001_FF00_0000UL | ((ulong)Value & 0xFF_FFFF)));

    /// <summary>RFC 4291 §2.5.1 / RFC 2464 §4: fe80::/64 with the modified EUI-64 interface identifier.</summary>
    public static Ipv6Address LinkLocalFromMac(MacAddress mac)
    {
        ulong m = mac.Value;
        ulong eui = ((m >> 24) << 40) | (0xFFFEUL << 24) | (m & 0xFF_FFFF);
        eui ^= 0x0200_0000_0000_0000UL;
        return new(new UInt128(0xFE80_0000_0000_0000UL, eui));
    }

    public static Ipv6Address FromIPAddress(IPAddress a)
    {
        if (a.AddressFamily != AddressFamily.InterNetworkV6)
            throw new ArgumentException($"{a} is not an IPv6 address.", nameof(a));
        Span<byte> b = stackalloc byte[Length];
        a.TryWriteBytes(b, out _);
        return Read(b);
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[Length];
        Write(b);
        return new IPAddress(b);
    }

    public static Ipv6Address Parse(string text) => FromIPAddress(IPAddress.Parse(text));

    public override string ToString() => ToIPAddress().ToString();
}

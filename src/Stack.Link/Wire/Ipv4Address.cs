using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Stack.Link.Wire;

/// <summary>An IPv4 address as a host-order uint (so 192.0.2.1 is 0xC0000201).</summary>
public readonly record struct Ipv4Address(uint Value)
{
    public const int Length = 4;

    public static readonly Ipv4Address Any = new(0);
    public static readonly Ipv4Address Broadcast = new(0xFFFF_FFFF);

    public static Ipv4Address Read(ReadOnlySpan<byte> s) => new(BinaryPrimitives.ReadUInt32BigEndian(s));

    public void Write(Span<byte> s) => BinaryPrimitives.WriteUInt32BigEndian(s, Value);

    public bool IsUnspecified => Value == 0;
    public bool IsBroadcast => Value == 0xFFFF_FFFF;
    public bool IsMulticast => (Value >> 28) == 0xE;
    public bool IsLoopback => (Value >> 24) == 127;

    /// <summary>True when this address is on the prefix of <paramref name="network"/>/<paramref name="prefixLength"/>.</summary>
    public bool IsInPrefix(Ipv4Address network, int prefixLength) =>
        prefixLength == 0 || (Value ^ network.Value) >> (32 - prefixLength) == 0;

    /// <summary>The directed broadcast address of a prefix.</summary>
    public static Ipv4Address DirectedBroadcast(Ipv4Address network, int prefixLength) =>
        prefixLength >= 32 ? network : new(network.Value | (uint.MaxValue >> prefixLength));

    public static Ipv4Address FromIPAddress(IPAddress a)
    {
        if (a.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"{a} is not an IPv4 address.", nameof(a));
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

    public static Ipv4Address Parse(string text) => FromIPAddress(IPAddress.Parse(text));

    public override string ToString() => $"{Value >> 24}.{(Value >> 16) & 0xFF}.{(Value >> 8) & 0xFF}.{Value & 0xFF}";
}

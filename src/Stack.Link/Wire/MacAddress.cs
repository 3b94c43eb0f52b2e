using System.Buffers.Binary;
using System.Globalization;

namespace Stack.Link.Wire;

/// <summary>A 48-bit IEEE 802 MAC address, held in the low six bytes of a ulong (big-endian order).</summary>
public readonly record struct MacAddress(ulong Value)
{
    public const int Length = 6;

    public static readonly MacAddress Broadcast = new(0xFFFF_FFFF_FFFFUL);
    public static readonly MacAddress Zero = new(0);

    public static MacAddress Read(ReadOnlySpan<byte> s) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(s) << 32) | BinaryPrimitives.ReadUInt32BigEndian(s[2..]));

    public void Write(Span<byte> s)
    {
        BinaryPrimitives.WriteUInt16BigEndian(s, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(s[2..], (uint)Value);
    }

    /// <summary>The group bit (I/G) is the low bit of the first octet.</summary>
    public bool IsMulticast => ((Value >> 40) & 1) != 0;

    public bool IsBroadcast => Value == Broadcast.Value;

    /// <summary>RFC 2464 §7: IPv6 multicast maps to 33:33 followed by the low 32 bits of the group.</summary>
    public static MacAddress ForIpv6Multicast(Ipv6Address group) =>
        new(0x3333_0000_0000UL | (uint)group.Value);

    /// <summary>RFC 1112 §6.4: IPv4 multicast maps to 01:00:5e followed by the low 23 bits of the group.</summary>
    public static MacAddress ForIpv4Multicast(Ipv4Address group) =>
        new(0x0100_5E00_0000UL | (group.Value & 0x7F_FFFF));

    public static bool TryParse(string text, out MacAddress mac)
    {
        mac = default;
        var parts = text.Split(':', '-');
        if (parts.Length != Length) return false;
        ulong v = 0;
        foreach (var p in parts)
        {
            if (p.Length is < 1 or > 2 || !byte.TryParse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
                return false;
            v = (v << 8) | b;
        }
        mac = new MacAddress(v);
        return true;
    }

    /// <summary>A random locally administered unicast address (02:xx:xx:xx:xx:xx style).</summary>
    public static MacAddress RandomLocal(Random random)
    {
        Span<byte> b = stackalloc byte[Length];
        random.NextBytes(b);
        b[0] = (byte)((b[0] & 0xFE) | 0x02);
        return Read(b);
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[Length];
        Write(b);
        return string.Create(CultureInfo.InvariantCulture, $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}");
    }
}

using System.Buffers.Binary;
using System.Security.Cryptography;
using Stack.Link.Wire;

namespace Stack.IP.Autoconf;

/// <summary>The 64-bit interface identifiers SLAAC puts after a /64 prefix.</summary>
public static class InterfaceIdentifier
{
    /// <summary>RFC 4291 §2.5.1 / RFC 2464 §4: the modified EUI-64 of <paramref name="mac"/>.</summary>
    public static ulong Eui64(MacAddress mac) => (ulong)Ipv6Address.LinkLocalFromMac(mac).Value;

    /// <summary>
    /// RFC 7217 §5: F(Prefix, Net_Iface, Network_ID, DAD_Counter, secret_key), with SHA-256 as F (RFC 7217 suggests
    /// it; Linux uses SHA-1) and the MAC as Net_Iface, no Network_ID. The low 64 bits of the result are taken; a
    /// result that RFC 5453 reserves moves on to the next counter.
    /// </summary>
    public static ulong StablePrivacy(Ipv6Address prefix, MacAddress mac, ref int dadCounter, ReadOnlySpan<byte> secret)
    {
        Span<byte> input = stackalloc byte[8 + MacAddress.Length + 1 + secret.Length];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        while (true)
        {
            BinaryPrimitives.WriteUInt64BigEndian(input, (ulong)(prefix.Value >> 64));
            mac.Write(input[8..]);
            input[8 + MacAddress.Length] = (byte)dadCounter;
            secret.CopyTo(input[(8 + MacAddress.Length + 1)..]);
            SHA256.HashData(input, hash);
            ulong id = BinaryPrimitives.ReadUInt64BigEndian(hash);
            if (!IsReserved(id)) return id;
            dadCounter++;
        }
    }

    /// <summary>
    /// RFC 5453 §3 reserved identifiers: all zeros (the subnet-router anycast), 0200:5EFF:FE00:0000 to
    /// 0200:5EFF:FEFF:FFFF (proxy mobile IPv6 and IANA's), and FDFF:FFFF:FFFF:FF80 on (subnet anycast, RFC 2526).
    /// </summary>
    public static bool IsReserved(ulong id) =>
        id == 0 || id >> 24 == 0x0200_5EFF_FEUL || id >= 0xFDFF_FFFF_FFFF_FF80UL;
}

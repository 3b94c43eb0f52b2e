using System.Buffers.Binary;
using System.Text;
using Stack.Link.Wire;

namespace Stack.Sockets.Dhcp.Wire;

/// <summary>
/// Reads RFC 2132 options from one or more fields of a message into typed values, checking each one's length and
/// value. An option repeated is concatenated with its earlier parts (RFC 3396) before it is checked.
/// </summary>
internal sealed class DhcpOptionReader
{
    private readonly Dictionary<byte, List<byte>> _raw = [];

    public DhcpMessageType? Type { get; private set; }
    public int? Overload { get; private set; }
    public Ipv4Address? ServerIdentifier { get; private set; }
    public int? PrefixLength { get; private set; }
    public IReadOnlyList<Ipv4Address> Routers { get; private set; } = [];
    public IReadOnlyList<Ipv4Address> DnsServers { get; private set; } = [];
    public uint? LeaseSeconds { get; private set; }
    public uint? RenewalSeconds { get; private set; }
    public uint? RebindingSeconds { get; private set; }
    public int? Mtu { get; private set; }
    public string? Message { get; private set; }

    /// <summary>Reads the options of one field (up to End, or its end) and re-checks every known option.</summary>
    public bool Read(ReadOnlySpan<byte> field, out DhcpRejectReason reason)
    {
        int i = 0;
        while (i < field.Length)
        {
            byte code = field[i++];
            if (code == (byte)DhcpOptionCode.Pad) continue;
            if (code == (byte)DhcpOptionCode.End) break;
            if (i >= field.Length || i + 1 + field[i] > field.Length)
            {
                reason = DhcpRejectReason.Truncated;
                return false;
            }
            int length = field[i++];
            if (!_raw.TryGetValue(code, out var value)) _raw[code] = value = [];
            value.AddRange(field.Slice(i, length));
            i += length;
        }
        return Decode(out reason);
    }

    private bool Decode(out DhcpRejectReason reason)
    {
        reason = DhcpRejectReason.BadOption;
        foreach (var (code, list) in _raw)
        {
            var v = list.ToArray().AsSpan();
            switch ((DhcpOptionCode)code)
            {
                case DhcpOptionCode.MessageType:
                    if (v.Length != 1 || v[0] is < (byte)DhcpMessageType.Discover or > (byte)DhcpMessageType.Inform) return false;
                    Type = (DhcpMessageType)v[0];
                    break;
                case DhcpOptionCode.Overload:
                    if (v.Length != 1) return false;
                    Overload = v[0];
                    break;
                case DhcpOptionCode.ServerIdentifier:
                    if (v.Length != 4) return false;
                    ServerIdentifier = Ipv4Address.Read(v);
                    break;
                case DhcpOptionCode.SubnetMask:
                    if (v.Length != 4 || MaskToPrefix(BinaryPrimitives.ReadUInt32BigEndian(v)) is not { } prefix) return false;
                    PrefixLength = prefix;
                    break;
                case DhcpOptionCode.Router:
                    if (ReadAddresses(v) is not { } routers) return false;
                    Routers = routers;
                    break;
                case DhcpOptionCode.DomainNameServer:
                    if (ReadAddresses(v) is not { } servers) return false;
                    DnsServers = servers;
                    break;
                case DhcpOptionCode.LeaseTime:
                    if (v.Length != 4) return false;
                    LeaseSeconds = BinaryPrimitives.ReadUInt32BigEndian(v);
                    break;
                case DhcpOptionCode.RenewalTime:
                    if (v.Length != 4) return false;
                    RenewalSeconds = BinaryPrimitives.ReadUInt32BigEndian(v);
                    break;
                case DhcpOptionCode.RebindingTime:
                    if (v.Length != 4) return false;
                    RebindingSeconds = BinaryPrimitives.ReadUInt32BigEndian(v);
                    break;
                case DhcpOptionCode.InterfaceMtu:
                    // RFC 2132 §5.1: the minimum legal value is 68.
                    if (v.Length != 2 || BinaryPrimitives.ReadUInt16BigEndian(v) < 68) return false;
                    Mtu = BinaryPrimitives.ReadUInt16BigEndian(v);
                    break;
                case DhcpOptionCode.Message:
                    Message = Encoding.ASCII.GetString(v);
                    break;
            }
        }
        reason = default;
        return true;
    }

    /// <summary>One or more addresses, four bytes each (options 3 and 6: RFC 2132 §3.5, §3.8).</summary>
    private static Ipv4Address[]? ReadAddresses(ReadOnlySpan<byte> v)
    {
        if (v.Length == 0 || v.Length % 4 != 0) return null;
        var list = new Ipv4Address[v.Length / 4];
        for (int k = 0; k < list.Length; k++)
        {
            list[k] = Ipv4Address.Read(v[(4 * k)..]);
            if (list[k].IsUnspecified || list[k].IsBroadcast || list[k].IsMulticast) return null;
        }
        return list;
    }

    /// <summary>The prefix length of a contiguous mask; null for one with holes (RFC 950 §2.1 wants them contiguous).</summary>
    public static int? MaskToPrefix(uint mask)
    {
        int prefix = System.Numerics.BitOperations.LeadingZeroCount(~mask);
        return prefix == 32 || mask << prefix == 0 ? prefix : null;
    }
}

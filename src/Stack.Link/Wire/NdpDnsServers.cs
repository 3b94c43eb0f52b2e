using System.Buffers.Binary;

namespace Stack.Link.Wire;

/// <summary>
/// A view of a Recursive DNS Server option (RFC 8106 §5.1): a lifetime in seconds (0xffffffff: infinity, 0: stop
/// using these servers) and one or more IPv6 addresses. Checked once by <see cref="TryParse"/>.
/// </summary>
public readonly ref struct NdpDnsServers
{
    private const int LifetimeOffset = 4;
    private const int AddressesOffset = 8;

    /// <summary>RFC 8106 §5.1: 3 units for one address, 2 more for each further one.</summary>
    private const int MinUnits = 3;

    private readonly ReadOnlySpan<byte> _option;

    private NdpDnsServers(ReadOnlySpan<byte> option) => _option = option;

    /// <summary>False when the option is not an RDNSS option, or its length is not 3, 5, 7… units (§5.3.1: ignore it).</summary>
    public static bool TryParse(ReadOnlySpan<byte> option, out NdpDnsServers servers)
    {
        servers = default;
        int units = option.Length / NdpOption.Unit;
        if (option.Length < MinUnits * NdpOption.Unit || option[NdpOption.TypeOffset] != NdpOption.RecursiveDnsServer || units % 2 == 0)
            return false;
        servers = new NdpDnsServers(option);
        return true;
    }

    public uint Lifetime => BinaryPrimitives.ReadUInt32BigEndian(_option[LifetimeOffset..]);

    public int Count => (_option.Length - AddressesOffset) / Ipv6Address.Length;

    public Ipv6Address this[int index] =>
        Ipv6Address.Read(_option[(AddressesOffset + index * Ipv6Address.Length)..]);
}

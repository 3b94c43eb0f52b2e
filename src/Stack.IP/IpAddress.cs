using System.Net;
using System.Net.Sockets;
using Stack.Link.Wire;

namespace Stack.IP;

/// <summary>
/// An IPv4 or IPv6 address as one value, for code that serves both families (sockets, flow keys, routes).
/// IPv4 is held in the low 32 bits. Compares and hashes without allocating, unlike <see cref="IPAddress"/>.
/// </summary>
public readonly record struct IpAddress
{
    private readonly UInt128 _bits;

    private IpAddress(bool isV6, UInt128 bits) => (IsIpv6, _bits) = (isV6, bits);

    public bool IsIpv6 { get; }
    public bool IsIpv4 => !IsIpv6;

    public Ipv4Address V4 => IsIpv4 ? new((uint)_bits) : throw new InvalidOperationException($"{this} is not an IPv4 address.");
    public Ipv6Address V6 => IsIpv6 ? new(_bits) : throw new InvalidOperationException($"{this} is not an IPv6 address.");

    public static implicit operator IpAddress(Ipv4Address a) => new(false, a.Value);
    public static implicit operator IpAddress(Ipv6Address a) => new(true, a.Value);

    public static IpAddress AnyV4 => Ipv4Address.Any;
    public static IpAddress AnyV6 => Ipv6Address.Unspecified;

    public bool IsUnspecified => _bits == UInt128.Zero;

    public bool IsMulticast => IsIpv6 ? V6.IsMulticast : V4.IsMulticast;

    public AddressFamily Family => IsIpv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    public static IpAddress FromIPAddress(IPAddress a)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (a.IsIPv4MappedToIPv6) a = a.MapToIPv4();
        return a.AddressFamily == AddressFamily.InterNetwork ? Ipv4Address.FromIPAddress(a) : Ipv6Address.FromIPAddress(a);
    }

    public IPAddress ToIPAddress() => IsIpv6 ? V6.ToIPAddress() : V4.ToIPAddress();

    public static IpAddress Parse(string text) => FromIPAddress(IPAddress.Parse(text));

    public static bool TryParse(string text, out IpAddress address)
    {
        address = default;
        if (!IPAddress.TryParse(text, out var a)) return false;
        address = FromIPAddress(a);
        return true;
    }

    public override string ToString() => IsIpv6 ? V6.ToString() : V4.ToString();
}

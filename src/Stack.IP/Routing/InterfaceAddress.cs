namespace Stack.IP.Routing;

/// <summary>An address assigned to the interface with its on-link prefix, e.g. 192.0.2.2/24.</summary>
public readonly record struct InterfaceAddress(IpAddress Address, int PrefixLength)
{
    public bool Covers(IpAddress other) =>
        other.IsIpv6 == Address.IsIpv6 &&
        (Address.IsIpv6 ? other.V6.IsInPrefix(Address.V6, PrefixLength) : other.V4.IsInPrefix(Address.V4, PrefixLength));

    /// <summary>Parses "192.0.2.2/24" or "2001:db8::2/64"; the prefix defaults to a host route.</summary>
    public static bool TryParse(string text, out InterfaceAddress result)
    {
        result = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addrText = slash < 0 ? text : text[..slash];
        if (!IpAddress.TryParse(addrText, out var address)) return false;
        int max = address.IsIpv6 ? 128 : 32;
        int prefix = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out prefix) || prefix > max))
            return false;
        result = new InterfaceAddress(address, prefix);
        return true;
    }

    public static InterfaceAddress Parse(string text) =>
        TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not ADDR/PREFIX, e.g. 192.0.2.2/24.");

    public override string ToString() => $"{Address}/{PrefixLength}";
}

namespace Stack.Scripting;

/// <summary>An ICMP message's type, code and 4-byte rest of header, as an <see cref="IcmpEvent"/> resolves in one family.</summary>
public readonly record struct ScriptIcmpHeader(byte Type, byte Code, uint RestOfHeader);

/// <summary>
/// packetdrill's ICMP names (icmp_packet.c) for both families. A script is written for one family but runs in both
/// here, so a name of the other family's table maps onto its counterpart (ICMPv4 frag_needed ↔ ICMPv6
/// packet_too_big, host_unreachable ↔ address_unreachable, ...), and a too-big MTU moves by 20, as the runner's
/// IPv6 link is 20 bytes larger so that one script's MSS is the same in both.
/// </summary>
public static class ScriptIcmp
{
    /// <summary>
    /// What packetdrill's run_all.py defines <c>CODE</c> as (<c>-D CODE=host_unreachable</c>) for the Fast Open
    /// ICMP scripts; its IPv6 counterpart is address_unreachable.
    /// </summary>
    public const string DefinedCode = "CODE";

    private static readonly Dictionary<string, byte> V4Types = new()
    {
        ["echo_reply"] = 0, ["unreachable"] = 3, ["source_quench"] = 4, ["redirect"] = 5, ["echo_request"] = 8,
        ["time_exceeded"] = 11, ["parameter_problem"] = 12, ["timestamp_request"] = 13, ["timestamp_reply"] = 14,
        ["information_request"] = 15, ["information_reply"] = 16, ["address_mask_request"] = 17,
        ["address_mask_reply"] = 18,
    };

    private static readonly Dictionary<string, byte> V4Unreachable = new()
    {
        ["net_unreachable"] = 0, ["host_unreachable"] = 1, ["protocol_unreachable"] = 2, ["port_unreachable"] = 3,
        ["frag_needed"] = 4, ["source_route_failed"] = 5, ["net_unknown"] = 6, ["host_unknown"] = 7,
        ["source_host_isolated"] = 8, ["net_prohibited"] = 9, ["host_prohibited"] = 10,
        ["net_unreachable_for_tos"] = 11, ["host_unreachable_for_tos"] = 12, ["packet_filtered"] = 13,
        ["precedence_violation"] = 14, ["precedence_cutoff"] = 15,
    };

    private static readonly Dictionary<string, byte> V6Types = new()
    {
        ["unreachable"] = 1, ["packet_too_big"] = 2, ["time_exceeded"] = 3, ["parameter_problem"] = 4,
        ["echo_request"] = 128, ["echo_reply"] = 129,
    };

    private static readonly Dictionary<string, byte> V6Unreachable = new()
    {
        ["net_unreachable"] = 0, ["no_route"] = 0, ["admin_prohibited"] = 1, ["not_neighbour"] = 2,
        ["address_unreachable"] = 3, ["port_unreachable"] = 4,
    };

    private static readonly Dictionary<string, byte> V6TimeExceeded = new() { ["exceeded_hop_limit"] = 0, ["exceeded_frag_time"] = 1 };

    private static readonly Dictionary<string, byte> V6ParameterProblem = new()
    {
        ["header_field"] = 0, ["unknown_next_header"] = 1, ["unknown_option"] = 2,
    };

    // Names of one family's unreachable table given their other family's meaning (Linux treats each pair alike:
    // icmp_err_convert and icmpv6_err_convert give the same errno).
    private static readonly Dictionary<string, string> V4ToV6Unreachable = new()
    {
        ["host_unreachable"] = "address_unreachable", ["host_unknown"] = "address_unreachable",
        ["net_unknown"] = "no_route", ["source_host_isolated"] = "address_unreachable",
        ["net_prohibited"] = "admin_prohibited", ["host_prohibited"] = "admin_prohibited",
        ["packet_filtered"] = "admin_prohibited", ["net_unreachable_for_tos"] = "net_unreachable",
        ["host_unreachable_for_tos"] = "address_unreachable",
    };

    private static readonly Dictionary<string, string> V6ToV4Unreachable = new()
    {
        ["no_route"] = "net_unreachable", ["admin_prohibited"] = "packet_filtered",
        ["not_neighbour"] = "host_unreachable", ["address_unreachable"] = "host_unreachable",
    };

    /// <summary>The runner's IPv6 link MTU less its IPv4 one: a too-big MTU carries over between families by this.</summary>
    public const int FamilyMtuDelta = 20;

    /// <summary>
    /// Resolves <paramref name="e"/> for IPv4 or IPv6. Returns false with <paramref name="error"/> for a name
    /// neither table has, or an MTU on a type that carries none (as packetdrill refuses them).
    /// </summary>
    public static bool TryResolve(IcmpEvent e, bool ipv6, out ScriptIcmpHeader header, out string error)
    {
        ArgumentNullException.ThrowIfNull(e);
        header = default;
        error = "";
        string type = e.Type;
        string? code = e.Code == DefinedCode ? "host_unreachable" : e.Code;
        long? mtu = e.Mtu;
        // The other family's spelling of a too-big error.
        if (ipv6 && type == "unreachable" && code == "frag_needed")
        {
            (type, code, mtu) = ("packet_too_big", null, mtu + FamilyMtuDelta);
        }
        else if (!ipv6 && type == "packet_too_big")
        {
            (type, code, mtu) = ("unreachable", "frag_needed", mtu - FamilyMtuDelta);
        }
        else if (type == "unreachable" && code is not null)
        {
            var map = ipv6 ? V4ToV6Unreachable : V6ToV4Unreachable;
            if (map.TryGetValue(code, out var other)) code = other;
            if (ipv6 && code is "protocol_unreachable")
            {
                (type, code) = ("parameter_problem", "unknown_next_header"); // RFC 4443 §3.4
            }
        }

        var types = ipv6 ? V6Types : V4Types;
        if (!TryNumber(type, "type_", types, out byte t))
        {
            error = $"bad ICMP{(ipv6 ? "v6" : "")} type {e.Type}";
            return false;
        }
        var codes = (ipv6, t) switch
        {
            (false, 3) => V4Unreachable,
            (true, 1) => V6Unreachable,
            (true, 3) => V6TimeExceeded,
            (true, 4) => V6ParameterProblem,
            _ => new Dictionary<string, byte>(),
        };
        byte c = 0;
        if (code is not null && !TryNumber(code, "code_", codes, out c))
        {
            error = $"bad ICMP{(ipv6 ? "v6" : "")} code {e.Code}";
            return false;
        }
        uint rest = 0;
        if (mtu is { } m)
        {
            bool tooBig = ipv6 ? t == 2 && c == 0 : t == 3 && c == 4;
            if (!tooBig)
            {
                error = ipv6 ? "ICMPv6 MTU is only valid for packet_too_big" : "ICMPv4 MTU is only valid for unreachable frag_needed";
                return false;
            }
            if (m < 0 || m > (ipv6 ? uint.MaxValue : ushort.MaxValue))
            {
                error = $"ICMP MTU {e.Mtu} is out of range";
                return false;
            }
            rest = (uint)m; // ICMPv4: next-hop MTU in the low 16 bits (RFC 1191); ICMPv6: all 32 (RFC 4443 §3.2).
        }
        header = new ScriptIcmpHeader(t, c, rest);
        return true;
    }

    private static bool TryNumber(string name, string prefix, Dictionary<string, byte> table, out byte value)
    {
        if (table.TryGetValue(name, out value)) return true;
        return name.StartsWith(prefix, StringComparison.Ordinal)
            && byte.TryParse(name.AsSpan(prefix.Length), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out value);
    }
}

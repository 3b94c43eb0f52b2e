using System.Buffers.Binary;
using Stack.Link.Wire;

namespace Stack.Sockets.Dhcp.Wire;

/// <summary>
/// A server's message (OFFER, ACK, NAK) as a plain value: the BOOTP fields the client reads and the options of
/// RFC 2132 it understands, each checked for its length and value by <see cref="TryParse"/>.
/// </summary>
public sealed record DhcpReply
{
    public required DhcpMessageType Type { get; init; }
    public required uint Xid { get; init; }
    public required MacAddress ClientMac { get; init; }

    /// <summary>yiaddr: the address offered or acknowledged.</summary>
    public required Ipv4Address YourAddress { get; init; }

    /// <summary>Option 54.</summary>
    public Ipv4Address? ServerIdentifier { get; init; }

    /// <summary>Option 1, as a prefix length (the mask was checked to be contiguous).</summary>
    public int? PrefixLength { get; init; }

    /// <summary>Option 3, in the server's order of preference.</summary>
    public IReadOnlyList<Ipv4Address> Routers { get; init; } = [];

    /// <summary>Option 6, in the server's order of preference.</summary>
    public IReadOnlyList<Ipv4Address> DnsServers { get; init; } = [];

    /// <summary>Option 51, in seconds; <see cref="uint.MaxValue"/> is infinite.</summary>
    public uint? LeaseSeconds { get; init; }

    /// <summary>Option 58 (T1), in seconds.</summary>
    public uint? RenewalSeconds { get; init; }

    /// <summary>Option 59 (T2), in seconds.</summary>
    public uint? RebindingSeconds { get; init; }

    /// <summary>Option 26.</summary>
    public int? Mtu { get; init; }

    /// <summary>Option 56: the server's reason for a NAK, as text.</summary>
    public string? Message { get; init; }

    /// <summary>
    /// Parses a BOOTP/DHCP message (RFC 2131 §2, RFC 2132) sent to a client: op BOOTREPLY, Ethernet addresses,
    /// the magic cookie, options (and the file and sname fields when option 52 overloads them). False, with the
    /// reason, for anything malformed: nothing of a bad message is used.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out DhcpReply reply, out DhcpRejectReason reason)
    {
        reply = null!;
        if (bytes.Length < DhcpLayout.OptionsOffset)
        {
            reason = DhcpRejectReason.Truncated;
            return false;
        }
        if (bytes[DhcpLayout.Op] != DhcpLayout.BootReply)
        {
            reason = DhcpRejectReason.NotAReply;
            return false;
        }
        if (bytes[DhcpLayout.HType] != DhcpLayout.HTypeEthernet || bytes[DhcpLayout.HLen] != MacAddress.Length)
        {
            reason = DhcpRejectReason.BadHardwareType;
            return false;
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(bytes[DhcpLayout.MagicCookieOffset..]) != DhcpLayout.MagicCookie)
        {
            reason = DhcpRejectReason.BadMagicCookie;
            return false;
        }
        var options = new DhcpOptionReader();
        if (!options.Read(bytes[DhcpLayout.OptionsOffset..], out reason)) return false;
        // RFC 2132 §9.3: option 52 says file (1), sname (2) or both (3) carry more options, read after the field.
        if (options.Overload is { } overload)
        {
            if (overload is < 1 or > 3)
            {
                reason = DhcpRejectReason.BadOption;
                return false;
            }
            if ((overload & 1) != 0 && !options.Read(bytes.Slice(DhcpLayout.FileOffset, DhcpLayout.FileLength), out reason)) return false;
            if ((overload & 2) != 0 && !options.Read(bytes.Slice(DhcpLayout.SnameOffset, DhcpLayout.SnameLength), out reason)) return false;
        }
        if (options.Type is not { } type)
        {
            reason = DhcpRejectReason.MissingMessageType;
            return false;
        }
        reply = new DhcpReply
        {
            Type = type,
            Xid = BinaryPrimitives.ReadUInt32BigEndian(bytes[DhcpLayout.XidOffset..]),
            ClientMac = MacAddress.Read(bytes[DhcpLayout.ChaddrOffset..]),
            YourAddress = Ipv4Address.Read(bytes[DhcpLayout.YiaddrOffset..]),
            ServerIdentifier = options.ServerIdentifier,
            PrefixLength = options.PrefixLength,
            Routers = options.Routers,
            DnsServers = options.DnsServers,
            LeaseSeconds = options.LeaseSeconds,
            RenewalSeconds = options.RenewalSeconds,
            RebindingSeconds = options.RebindingSeconds,
            Mtu = options.Mtu,
            Message = options.Message,
        };
        reason = default;
        return true;
    }
}

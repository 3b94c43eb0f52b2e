using Stack.Link.Diagnostics;

namespace Stack.IP.Wire;

/// <summary>
/// Where the IPv6 extension-header chain (RFC 8200 §4) leads. Offsets are relative to the IPv6 payload.
/// <see cref="FragmentHeaderOffset"/> is -1 when there is no Fragment header; <see cref="UnfragmentableLength"/>
/// is where the Fragment header starts, or where one would go (RFC 8200 §4.5: after Hop-by-Hop and Routing).
/// </summary>
public readonly record struct Ipv6Chain(IpProtocol UpperProtocol, int UpperOffset, int FragmentHeaderOffset,
    int UnfragmentableLength)
{
    /// <summary>
    /// A chain in RFC 8200 §4.1's recommended order has few headers; this bound stops chains built to wear us out
    /// (RFC 7112 also wants the whole chain in the first fragment).
    /// </summary>
    public const int MaxExtensionHeaders = 8;

    /// <summary>Where the next-header field that names <see cref="UpperProtocol"/> is, from the start of the IPv6 header.</summary>
    public int NextHeaderPointer { get; init; } = Ipv6Header.NextHeaderFieldOffset;

    /// <summary>The value of the Hop-by-Hop header's Router Alert option (RFC 2711; 0 is MLD), or null when absent.</summary>
    public ushort? RouterAlert { get; init; }

    private const int NextHeaderOffset = 0;
    private const int HeaderExtLengthOffset = 1;
    private const int RoutingTypeOffset = 2;
    private const int SegmentsLeftOffset = 3;
    private const int MinExtensionHeaderLength = 8;

    /// <summary>
    /// Walks the chain starting with <paramref name="first"/> (the IPv6 header's next header) up to the first
    /// header that is not an extension header. On failure, <paramref name="parameterProblemPointer"/> is the
    /// ICMPv6 parameter-problem pointer (from the start of the IPv6 header) with its code, or -1 when the
    /// packet is dropped silently.
    /// </summary>
    public static bool TryWalk(ReadOnlySpan<byte> payload, IpProtocol first, bool destinationIsMulticast,
        out Ipv6Chain chain, out RejectReason reason, out int parameterProblemPointer, out byte parameterProblemCode)
    {
        chain = default;
        parameterProblemPointer = -1;
        parameterProblemCode = 0;

        var next = first;
        int offset = 0;
        int nextHeaderPointer = Ipv6Header.NextHeaderFieldOffset;
        int fragmentHeaderOffset = -1;
        int unfragmentable = 0;
        int count = 0;
        ushort? routerAlert = null;
        while (IsExtensionHeader(next))
        {
            // RFC 8200 §4.1: Hop-by-Hop may only come right after the IPv6 header.
            if (next == IpProtocol.HopByHop && offset != 0)
            {
                reason = RejectReason.BadField;
                parameterProblemPointer = nextHeaderPointer;
                parameterProblemCode = Icmpv6Code.UnrecognizedNextHeader;
                return false;
            }
            if (++count > MaxExtensionHeaders)
            {
                reason = RejectReason.ExtensionChainTooLong;
                return false;
            }
            var rest = payload[offset..];
            int length = next == IpProtocol.Ipv6Fragment
                ? Ipv6FragmentHeader.Length
                : rest.Length >= 2 ? (rest[HeaderExtLengthOffset] + 1) * 8 : MinExtensionHeaderLength;
            if (rest.Length < length)
            {
                reason = RejectReason.Truncated;
                return false;
            }
            var header = rest[..length];
            int headerPointer = Ipv6Header.Length + offset;
            switch (next)
            {
                case IpProtocol.HopByHop:
                case IpProtocol.Ipv6DestinationOptions:
                    if (!Ipv6Options.Check(header, headerPointer, destinationIsMulticast, out reason,
                            out parameterProblemPointer, out var alert))
                    {
                        if (parameterProblemPointer >= 0)
                            parameterProblemCode = Icmpv6Code.UnrecognizedOption;
                        return false;
                    }
                    if (next == IpProtocol.HopByHop)
                        routerAlert = alert;
                    if (next == IpProtocol.HopByHop && fragmentHeaderOffset < 0)
                        if (fragmentHeaderOffset < 0)
                        unfragmentable = offset + length;
                    break;
                case IpProtocol.Ipv6Routing:
                    // RFC 8200 §4.4: we know no routing type, so an unfinished route is an error at the type.
                    if (header[SegmentsLeftOffset] != 0)
                    {
                        reason = RejectReason.BadField;
                        parameterProblemPointer = headerPointer + RoutingTypeOffset;
                        parameterProblemCode = Icmpv6Code.ErroneousHeaderField;
                        return false;
                    }
                    if (fragmentHeaderOffset < 0)
                        unfragmentable = offset + length;
                    break;
                case IpProtocol.Ipv6Fragment:
                    if (!Ipv6FragmentHeader.TryParse(header, out var fragment, out reason))
                        return false;
                    if (fragmentHeaderOffset < 0)
                    {
                        fragmentHeaderOffset = offset;
                        unfragmentable = offset;
                    }
                    // A later fragment holds no parseable headers until reassembly.
                    if (fragment.FragmentOffset != 0)
                    {
                        chain = new Ipv6Chain(fragment.NextHeader, offset + length, fragmentHeaderOffset, unfragmentable)
                        {
                            NextHeaderPointer = headerPointer + NextHeaderOffset,
                        };
                        reason = RejectReason.None;
                        return true;
                    }
                    break;
            }
            nextHeaderPointer = headerPointer + NextHeaderOffset;
            next = (IpProtocol)header[NextHeaderOffset];
            offset += length;
        }
        chain = new Ipv6Chain(next, offset, fragmentHeaderOffset, unfragmentable)
        {
            NextHeaderPointer = nextHeaderPointer,
            RouterAlert = routerAlert,
        };
        reason = RejectReason.None;
        return true;
    }

    private static bool IsExtensionHeader(IpProtocol p) => p is IpProtocol.HopByHop or IpProtocol.Ipv6Routing
        or IpProtocol.Ipv6Fragment or IpProtocol.Ipv6DestinationOptions;
}

using Stack.IP.Fragments;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

public sealed partial class IpHost
{
    /// <summary>Transport bytes an error must quote for us to act on it (RFC 792: header + 64 bits).</summary>
    private const int MinQuotedTransport = 8;

    private void OnIcmpv4Error(Icmpv4Message icmp, Ipv4Address reporter, Instant now)
    {
        var kind = icmp.Type switch
        {
            Icmpv4Type.DestinationUnreachable => icmp.Code switch
            {
                Icmpv4Code.NetUnreachable => IcmpErrorKind.NetUnreachable,
                Icmpv4Code.HostUnreachable => IcmpErrorKind.HostUnreachable,
                Icmpv4Code.ProtocolUnreachable => IcmpErrorKind.ProtocolUnreachable,
                Icmpv4Code.PortUnreachable => IcmpErrorKind.PortUnreachable,
                Icmpv4Code.FragmentationNeeded => IcmpErrorKind.PacketTooBig,
                9 or 10 or 13 => IcmpErrorKind.AdministrativelyProhibited, // RFC 1812 §5.2.7.1
                _ => IcmpErrorKind.OtherUnreachable,
            },
            Icmpv4Type.TimeExceeded => IcmpErrorKind.TimeExceeded,
            Icmpv4Type.ParameterProblem => IcmpErrorKind.ParameterProblem,
            _ => (IcmpErrorKind?)null, // Source quench (deprecated, RFC 6633) and redirects: ignored.
        };
        if (kind is not { } k) return;

        // The quote is our own header and at least 8 bytes after it; its total length may claim more.
        if (!QuotedIpv4.TryRead(icmp.Body, out var quoted) || quoted.Transport.Length < MinQuotedTransport)
        {
            Reject(Layer.Icmpv4, RejectReason.Truncated);
            return;
        }
        if (!IsLocal(quoted.Source))
        {
            Reject(Layer.Icmpv4, RejectReason.NotForUs); // RFC 5927 §4.1: only believe errors about our packets.
            return;
        }
        // What a too-big error says is only believed once a transport matches it to a datagram in flight
        // (LowerPathMtu): the IP layer cannot tell a late or forged error from a real one.
        int mtu = k == IcmpErrorKind.PacketTooBig ? PathMtuCache<Ipv4Address>.ReportedMtu(icmp.NextHopMtu, quoted.TotalLength) : 0;
        Deliver(new IcmpError(k, reporter, quoted.Source, quoted.Destination, quoted.Protocol, quoted.Transport, mtu), now);
    }

    private void OnIcmpv6Error(Icmpv6Message icmp, Ipv6Address reporter, Instant now)
    {
        var kind = icmp.Type switch
        {
            Icmpv6Type.DestinationUnreachable => icmp.Code switch
            {
                0 => IcmpErrorKind.NetUnreachable,
                1 or 5 or 6 => IcmpErrorKind.AdministrativelyProhibited,
                3 => IcmpErrorKind.HostUnreachable,
                4 => IcmpErrorKind.PortUnreachable,
                _ => IcmpErrorKind.OtherUnreachable,
            },
            Icmpv6Type.PacketTooBig => IcmpErrorKind.PacketTooBig,
            Icmpv6Type.TimeExceeded => IcmpErrorKind.TimeExceeded,
            // RFC 4443 §3.4: code 1 says the next header was not understood, as protocol unreachable does.
            Icmpv6Type.ParameterProblem => icmp.Code == Icmpv6Code.UnrecognizedNextHeader
                ? IcmpErrorKind.ProtocolUnreachable : IcmpErrorKind.ParameterProblem,
            _ => (IcmpErrorKind?)null,
        };
        if (kind is not { } k) return;

        var quoted = icmp.Body;
        if (quoted.Length < Ipv6Header.Length + MinQuotedTransport || quoted[0] >> 4 != 6)
        {
            Reject(Layer.Icmpv6, RejectReason.Truncated);
            return;
        }
        var source = Ipv6Address.Read(quoted[8..]);
        var destination = Ipv6Address.Read(quoted[24..]);
        if (!IsLocal(source))
        {
            Reject(Layer.Icmpv6, RejectReason.NotForUs);
            return;
        }
        // The quote may be cut short of its payload length, so walk the chain over what is there.
        var payload = quoted[Ipv6Header.Length..];
        if (!Ipv6Chain.TryWalk(payload, (IpProtocol)quoted[6], false, out var chain, out _, out _, out _) ||
            payload.Length - chain.UpperOffset < MinQuotedTransport)
        {
            Reject(Layer.Icmpv6, RejectReason.Truncated);
            return;
        }
        int mtu = k == IcmpErrorKind.PacketTooBig ? (int)Math.Min(icmp.Mtu, int.MaxValue) : 0;
        Deliver(new IcmpError(k, reporter, source, destination, chain.UpperProtocol, payload[chain.UpperOffset..], mtu), now);
    }

    private void Deliver(in IcmpError error, Instant now)
    {
        if (!_transports.TryGetValue(error.Protocol, out var transport)) return;
        // A multi-queue stack: the connection or socket the error is about may be another shard's.
        if (IcmpHandOff is { } handOff && !transport.ClaimsIcmpError(error) && handOff(error))
        {
            Statistics.IcmpErrorsHandedOff++;
            return;
        }
        transport.OnIcmpError(error, now);
    }
}

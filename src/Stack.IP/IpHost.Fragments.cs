using System.Buffers.Binary;
using Stack.IP.Fragments;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

/// <summary>RFC 791 §3.2: IPv4 fragments belong together by source, destination, protocol and identification.</summary>
internal readonly record struct Ipv4FragmentKey(Ipv4Address Source, Ipv4Address Destination, IpProtocol Protocol, ushort Id);

/// <summary>RFC 8200 §4.5: IPv6 fragments belong together by source, destination and identification.</summary>
internal readonly record struct Ipv6FragmentKey(Ipv6Address Source, Ipv6Address Destination, uint Id);

public sealed partial class IpHost
{
    private const int Ipv6PayloadLengthField = 4;

    /// <summary>
    /// IPv4: an overlap never rewrites bytes already received (the first copy wins), so a later fragment cannot
    /// smuggle different transport headers past a check made on the first (RFC 1858 in spirit).
    /// </summary>
    private readonly Reassembler<Ipv4FragmentKey> _reassembler4 = new(ReassemblyLimits.Ipv4);

    /// <summary>
    /// IPv6: any overlap drops the whole datagram (RFC 5722). The stored header is the first fragment's up to and
    /// including its Fragment header, so a timeout can quote the fragment as it came; hence 8 bytes more room.
    /// </summary>
    private readonly Reassembler<Ipv6FragmentKey> _reassembler6 = new(ReassemblyLimits.Ipv6 with
    {
        MaxDatagramSize = ReassemblyLimits.Ipv6.MaxDatagramSize + Ipv6FragmentHeader.Length,
    });

    public ReassemblyCounters Reassembly4 => _reassembler4.Counters;
    public ReassemblyCounters Reassembly6 => _reassembler6.Counters;

    private Instant FragmentDeadline => Instant.Min(_reassembler4.NextDeadline, _reassembler6.NextDeadline);

    private void OnFragmentTimers(Instant now)
    {
        if (_reassembler4.NextDeadline <= now) _reassembler4.OnTimer(now, OnIpv4ReassemblyTimeout);
        if (_reassembler6.NextDeadline <= now) _reassembler6.OnTimer(now, OnIpv6ReassemblyTimeout);
    }

    private void OnIpv4Fragment(Ipv4Header ip, Instant now)
    {
        Statistics.Ipv4FragmentsReceived++;
        var key = new Ipv4FragmentKey(ip.Source, ip.Destination, ip.Protocol, ip.Identification);
        var result = _reassembler4.Add(key, ip.FragmentOffset, ip.MoreFragments, ip.Payload, ip.Header, now);
        if (result.Status == ReassemblyStatus.Dropped) Reject(Layer.Ipv4, RejectReason.BadFragment);
        if (!result.IsComplete) return;
        // The stored header is the first fragment's: make it describe the whole datagram before anyone reads it.
        var datagram = result.Datagram;
        int headerLength = result.HeaderLength;
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], (ushort)datagram.Length);
        datagram[6] &= 0x40; // keep DF, clear MF and the offset
        datagram[7] = 0;
        datagram[10] = datagram[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(datagram[10..], InternetChecksum.Compute(datagram[..headerLength]));
        if (!Ipv4Header.TryParse(datagram, out var whole, out var reason))
        {
            Reject(Layer.Ipv4, reason);
            return;
        }
        Statistics.DatagramsReassembled++;
        bool toGroup = whole.Destination.IsBroadcast || whole.Destination.IsMulticast || IsDirectedBroadcast(whole.Destination);
        DeliverIpv4(whole, datagram, toGroup, now);
    }

    /// <summary>RFC 792 / RFC 1122 §3.2.2.4: time exceeded, code 1, only when the first fragment had arrived.</summary>
    private void OnIpv4ReassemblyTimeout(Ipv4FragmentKey key, ReadOnlySpan<byte> firstHeader, ReadOnlySpan<byte> firstPayload)
    {
        Span<byte> quote = stackalloc byte[firstHeader.Length + 8];
        int n = Math.Min(8, firstPayload.Length);
        firstHeader.CopyTo(quote);
        firstPayload[..n].CopyTo(quote[firstHeader.Length..]);
        SendIcmpv4Error(quote[..(firstHeader.Length + n)], Icmpv4Type.TimeExceeded,
            Icmpv4Code.FragmentReassemblyTimeExceeded, 0, _timerNow);
    }

    /// <summary>
    /// A fragment of an IPv6 datagram (not an atomic one: those are processed in place, RFC 6946). The
    /// unfragmentable part, from the first fragment, heads the reassembled datagram.
    /// </summary>
    private void OnIpv6Fragment(ReadOnlySpan<byte> packet, Ipv6Header ip, Ipv6Chain chain, Ipv6FragmentHeader fragment, Instant now)
    {
        int unfragmentable = Ipv6Header.Length + chain.FragmentHeaderOffset;
        int headerLength = unfragmentable + Ipv6FragmentHeader.Length;
        Statistics.Ipv6FragmentsReceived++;
        var key = new Ipv6FragmentKey(ip.Source, ip.Destination, fragment.Identification);
        var result = _reassembler6.Add(key, fragment.FragmentOffset, fragment.MoreFragments, packet[headerLength..],
            packet[..headerLength], now);
        if (result.Status == ReassemblyStatus.Dropped)
        {
            Reject(Layer.Ipv6, RejectReason.BadFragment);
            // RFC 8200 §4.5: a fragment whose length is not a multiple of 8, or that reaches past 65535.
            if (result.DropReason == ReassemblyDrop.BadLength && fragment.MoreFragments)
                SendIcmpv6Error(packet, Icmpv6Type.ParameterProblem, Icmpv6Code.ErroneousHeaderField, Ipv6PayloadLengthField, now);
            else if (result.DropReason == ReassemblyDrop.TooLarge)
                SendIcmpv6Error(packet, Icmpv6Type.ParameterProblem, Icmpv6Code.ErroneousHeaderField,
                    (uint)(unfragmentable + 2), now);
            return;
        }
        if (!result.IsComplete) return;
        // Take the Fragment header out: slide the unfragmentable part over it, then fix the lengths and the chain.
        var datagram = result.Datagram;
        datagram[..unfragmentable].CopyTo(datagram[Ipv6FragmentHeader.Length..]);
        datagram = datagram[Ipv6FragmentHeader.Length..];
        BinaryPrimitives.WriteUInt16BigEndian(datagram[Ipv6PayloadLengthField..], (ushort)(datagram.Length - Ipv6Header.Length));
        datagram[PointerToFragmentHeader(datagram, unfragmentable)] = (byte)fragment.NextHeader;
        Statistics.DatagramsReassembled++;
        OnIpv6(datagram, now, reassembled: true);
    }

    /// <summary>Where the next-header field that named the Fragment header sits in the unfragmentable part.</summary>
    private static int PointerToFragmentHeader(ReadOnlySpan<byte> datagram, int unfragmentableEnd)
    {
        int field = Ipv6Header.NextHeaderFieldOffset;
        for (int offset = Ipv6Header.Length; offset + 2 <= unfragmentableEnd; offset += (datagram[offset + 1] + 1) * 8)
            field = offset;
        return field;
    }

    /// <summary>RFC 8200 §4.5: time exceeded, code 1, quoting the first fragment as it came, when it had come.</summary>
    private void OnIpv6ReassemblyTimeout(Ipv6FragmentKey key, ReadOnlySpan<byte> firstHeader, ReadOnlySpan<byte> firstPayload)
    {
        Span<byte> quote = stackalloc byte[Math.Min(MaxIcmpv6Quote, firstHeader.Length + firstPayload.Length)];
        if (quote.Length < firstHeader.Length) return;
        firstHeader.CopyTo(quote);
        firstPayload[..(quote.Length - firstHeader.Length)].CopyTo(quote[firstHeader.Length..]);
        SendIcmpv6Error(quote, Icmpv6Type.TimeExceeded, Icmpv6Code.FragmentReassemblyTimeExceeded, 0, _timerNow);
    }
}

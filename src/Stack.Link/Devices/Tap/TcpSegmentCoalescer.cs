using System.Buffers.Binary;
using Stack.Link.Wire;

namespace Stack.Link.Devices.Tap;

/// <summary>
/// Joins the consecutive full-MSS TCP segments of one burst into a GSO super-frame for a TAP opened with
/// IFF_VNET_HDR, which the kernel segments again (and checksums) on its side: one write for up to 64 KiB instead
/// of one per MSS. TCP keeps sending, recording and resending single segments (its loss accounting stays per
/// MSS); only the frames are joined, on their way out, as Linux's own TCP hands the device TSO skbs of
/// tso_segs × mss (tcp_write_xmit) that the device cuts back into segments.
/// <para>
/// Drive it from one thread: <see cref="TryAppend"/> a frame onto the held one; if it does not fit, flush the
/// held one (<see cref="Take"/>) and <see cref="TryStart"/> the frame as a new one; a frame neither takes goes out
/// as it is. A segment joins when it continues the held one exactly: same Ethernet, IP and TCP headers but for the
/// sequence number, IPv4 identification, lengths, checksums and the timestamp's TSval; the next sequence number;
/// no longer than the first (gso_size); and within 65535 bytes of IP packet. What the kernel's segmentation cannot reproduce ends a
/// super-frame: a shorter segment, PSH or FIN (tcp_gso_segment puts those on the last segment only, as they
/// were), other flags than ACK and ECE, IPv4 options, fragments, IPv6 extension headers.
/// </para>
/// </summary>
public sealed class TcpSegmentCoalescer
{
    private const int Ipv4MinHeader = 20;
    private const int Ipv6Header = 40;
    private const int MaxIpPacket = 65535; // IPv4 total length and IPv6 payload length are 16-bit fields.
    private const int TcpMinHeader = 20;
    private const int TcpChecksumOffset = 16;
    private const byte Psh = 0x08, Ack = 0x10, Ece = 0x40;

    // The held frame goes after room for the virtio header, so that Take hands out one contiguous write.
    private readonly byte[] _buffer = GC.AllocateArray<byte>(VirtioNetHeader.Length + EthernetFrame.HeaderLength + MaxIpPacket, pinned: true);
    private int _frameLength;  // Bytes of the held frame (Ethernet header on); 0 when none is held.
    private int _headerLength; // Ethernet + IP + TCP headers: the virtio hdr_len.
    private int _gsoSize;      // The first segment's payload: every segment but the last carries this much.
    private int _segments;
    private uint _nextSeq;
    private bool _ipv6;
    private bool _closed;      // The last segment is in: shorter than gso_size, or PSH.

    /// <summary>
    /// The segments come with partial TCP checksums (the link offloads them): a single segment handed out then says
    /// NEEDS_CSUM as well. Otherwise it goes with a plain header, its checksum complete.
    /// </summary>
    public bool ChecksumsPartial { get; set; }

    /// <summary>Whether a frame is held.</summary>
    public bool IsHolding => _frameLength > 0;

    /// <summary>The segments the held frame stands for.</summary>
    public int Segments => _segments;

    /// <summary>
    /// Holds <paramref name="frame"/> (copied) as the start of a super-frame, if it can start one: a TCP segment
    /// with data and ACK (ECE) only, on IPv4 without options or fragmentation, or IPv6 with TCP as next header.
    /// Nothing may be held.
    /// </summary>
    public bool TryStart(ReadOnlySpan<byte> frame)
    {
        if (IsHolding) throw new InvalidOperationException("A frame is held: Take it first.");
        if (!TryLayout(frame, out bool ipv6, out int headerLength, out int payload) || payload == 0) return false;
        byte flags = frame[headerLength - TcpHeaderLength(frame, ipv6) + 13];
        if ((flags & ~(Ack | Ece)) != 0 || (flags & Ack) == 0) return false;
        frame.CopyTo(_buffer.AsSpan(VirtioNetHeader.Length));
        _frameLength = frame.Length;
        _headerLength = headerLength;
        _gsoSize = payload;
        _segments = 1;
        _ipv6 = ipv6;
        _nextSeq = Sequence(frame, ipv6) + (uint)payload;
        _closed = false;
        return true;
    }

    /// <summary>Appends <paramref name="frame"/>'s payload to the held super-frame if the frame continues it exactly.</summary>
    public bool TryAppend(ReadOnlySpan<byte> frame)
    {
        if (!IsHolding || _closed || frame.Length <= _headerLength) return false;
        int payload = frame.Length - _headerLength;
        if (payload > _gsoSize || _frameLength + payload - EthernetFrame.HeaderLength > MaxIpPacket) return false;
        if (!TryLayout(frame, out bool ipv6, out int headerLength, out int framePayload) || ipv6 != _ipv6
            || headerLength != _headerLength || framePayload != payload || Sequence(frame, ipv6) != _nextSeq)
            return false;
        var held = _buffer.AsSpan(VirtioNetHeader.Length, _headerLength);
        if (!SameHeaders(held, frame[.._headerLength], out bool push)) return false;
        frame[_headerLength..].CopyTo(_buffer.AsSpan(VirtioNetHeader.Length + _frameLength));
        _frameLength += payload;
        _segments++;
        _nextSeq += (uint)payload;
        if (push)
        {
            held[_headerLength - TcpHeaderLength(held, ipv6) + 13] |= Psh; // tcp_gso_segment keeps it on the last segment.
        }
        _closed = push || payload < _gsoSize;
        return true;
    }

    /// <summary>
    /// Hands out the held frame with its virtio header before it, ready for one write, and lets it go. One
    /// segment goes as it came (a plain header, or NEEDS_CSUM with <see cref="ChecksumsPartial"/>); more go as a GSO frame whose TCP
    /// checksum field holds the pseudo-header sum, for the kernel to finish per segment (NEEDS_CSUM).
    /// </summary>
    public ReadOnlySpan<byte> Take()
    {
        if (!IsHolding) return default;
        var frame = _buffer.AsSpan(VirtioNetHeader.Length, _frameLength);
        var header = ChecksumsPartial ? VirtioNetHeader.ForPartialTcp(frame) : default;
        if (_segments > 1)
        {
            int l3 = EthernetFrame.HeaderLength;
            int ipHeader = _ipv6 ? Ipv6Header : Ipv4MinHeader;
            int tcpLength = _frameLength - l3 - ipHeader;
            ulong pseudo;
            if (_ipv6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(frame[(l3 + 4)..], (ushort)tcpLength);
                pseudo = InternetChecksum.Add(0, frame.Slice(l3 + 8, 32)) + 6 + (uint)tcpLength;
            }
            else
            {
                var ip = frame.Slice(l3, Ipv4MinHeader);
                BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ipHeader + tcpLength));
                ip[10] = 0;
                ip[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip));
                pseudo = InternetChecksum.Add(0, ip.Slice(12, 8)) + 6 + (uint)tcpLength;
            }
            int csumStart = l3 + ipHeader;
            BinaryPrimitives.WriteUInt16BigEndian(frame[(csumStart + TcpChecksumOffset)..], (ushort)~InternetChecksum.Finish(pseudo));
            header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, _ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
                (ushort)_headerLength, (ushort)_gsoSize, (ushort)csumStart, TcpChecksumOffset);
        }
        header.Write(_buffer);
        int length = VirtioNetHeader.Length + _frameLength;
        _frameLength = 0;
        _segments = 0;
        return _buffer.AsSpan(0, length);
    }

    /// <summary>
    /// The headers of a TCP segment whose lengths agree with the frame: IPv4 with no options and no fragment
    /// bits but DF, or IPv6 with TCP straight after the fixed header. False for anything else.
    /// </summary>
    private static bool TryLayout(ReadOnlySpan<byte> frame, out bool ipv6, out int headerLength, out int payload)
    {
        ipv6 = false;
        headerLength = payload = 0;
        const int l3 = EthernetFrame.HeaderLength;
        if (frame.Length < l3 + Ipv4MinHeader + TcpMinHeader) return false;
        var type = (EtherType)BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        int ipLength;
        if (type == EtherType.Ipv4)
        {
            if (frame[l3] != 0x45 || frame[l3 + 9] != 6) return false;
            if ((BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 6)..]) & 0xBFFF) != 0) return false; // MF or an offset
            ipLength = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 2)..]);
            if (ipLength != frame.Length - l3) return false;
        }
        else if (type == EtherType.Ipv6)
        {
            if (frame.Length < l3 + Ipv6Header + TcpMinHeader || (frame[l3] >> 4) != 6 || frame[l3 + 6] != 6) return false;
            ipLength = Ipv6Header + BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 4)..]);
            if (ipLength != frame.Length - l3) return false;
            ipv6 = true;
        }
        else
        {
            return false;
        }
        int tcpHeader = TcpHeaderLength(frame, ipv6);
        headerLength = l3 + (ipv6 ? Ipv6Header : Ipv4MinHeader) + tcpHeader;
        if (tcpHeader < TcpMinHeader || headerLength > frame.Length) return false;
        payload = frame.Length - headerLength;
        return true;
    }

    private static int TcpHeaderLength(ReadOnlySpan<byte> frame, bool ipv6) =>
        (frame[EthernetFrame.HeaderLength + (ipv6 ? Ipv6Header : Ipv4MinHeader) + 12] >> 4) * 4;

    private static uint Sequence(ReadOnlySpan<byte> frame, bool ipv6) =>
        BinaryPrimitives.ReadUInt32BigEndian(frame[(EthernetFrame.HeaderLength + (ipv6 ? Ipv6Header : Ipv4MinHeader) + 4)..]);

    /// <summary>
    /// Whether <paramref name="next"/>'s headers equal the held ones except where segments of one super-frame
    /// differ: IPv4 total length, identification and header checksum (the kernel writes its own), IPv6 payload
    /// length, TCP sequence number and checksum; and PSH or FIN, which may appear on the last segment (PSH only
    /// here: FIN is left to go on its own).
    /// </summary>
    private bool SameHeaders(ReadOnlySpan<byte> held, ReadOnlySpan<byte> next, out bool push)
    {
        push = false;
        const int l3 = EthernetFrame.HeaderLength;
        if (!held[..l3].SequenceEqual(next[..l3])) return false;
        int l4;
        if (_ipv6)
        {
            // Version, traffic class, flow label; then next header, hop limit, addresses.
            if (!held.Slice(l3, 4).SequenceEqual(next.Slice(l3, 4)) || !held.Slice(l3 + 6, 34).SequenceEqual(next.Slice(l3 + 6, 34))) return false;
            l4 = l3 + Ipv6Header;
        }
        else
        {
            // Version/IHL and TOS; flags/fragment, TTL, protocol; addresses.
            if (!held.Slice(l3, 2).SequenceEqual(next.Slice(l3, 2)) || !held.Slice(l3 + 6, 4).SequenceEqual(next.Slice(l3 + 6, 4))
                || !held.Slice(l3 + 12, 8).SequenceEqual(next.Slice(l3 + 12, 8))) return false;
            l4 = l3 + Ipv4MinHeader;
        }
        // Ports; acknowledgment number, data offset; window, urgent pointer, options but TSval.
        if (!held.Slice(l4, 4).SequenceEqual(next.Slice(l4, 4)) || !held.Slice(l4 + 8, 5).SequenceEqual(next.Slice(l4 + 8, 5))
            || !held.Slice(l4 + 14, 2).SequenceEqual(next.Slice(l4 + 14, 2)) || !SameOptions(held[(l4 + 18)..], next[(l4 + 18)..]))
            return false;
        byte heldFlags = held[l4 + 13], nextFlags = next[l4 + 13];
        if ((nextFlags & ~Psh) != heldFlags) return false;
        push = (nextFlags & Psh) != 0;
        return true;
    }

    /// <summary>
    /// Whether the urgent pointer and options (from offset 18 of the TCP header) agree, but for the timestamp's
    /// TSval: a burst that spans a tick of the timestamp clock still joins, and every segment the kernel cuts from
    /// it carries the first one's TSval, as every segment of one of Linux's TSO skbs does (tcp_options_write runs
    /// once per skb). TSecr must agree.
    /// </summary>
    private static bool SameOptions(ReadOnlySpan<byte> held, ReadOnlySpan<byte> next)
    {
        const int urgentPointer = 2, kindTimestamp = 8, timestampLength = 10;
        int i = urgentPointer;
        while (i < held.Length)
        {
            byte kind = held[i];
            if (kind == 0) break; // end of options: the rest is padding, compared below
            if (kind == 1)
            {
                i++;
                continue;
            }
            if (i + 1 >= held.Length || held[i + 1] < 2) break;
            if (kind == kindTimestamp && held[i + 1] == timestampLength && i + timestampLength <= held.Length)
            {
                return held[..(i + 2)].SequenceEqual(next[..(i + 2)]) && held[(i + 6)..].SequenceEqual(next[(i + 6)..]);
            }
            i += held[i + 1];
        }
        return held.SequenceEqual(next);
    }
}

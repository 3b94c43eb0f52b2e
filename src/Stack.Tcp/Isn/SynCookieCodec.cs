using System.Buffers.Binary;
using Stack.Link.Time;

namespace Stack.Tcp.Isn;

/// <summary>What a valid cookie ACK tells about the SYN it answers.</summary>
/// <param name="Mss">The peer's MSS, rounded down to an entry of the MSS table.</param>
/// <param name="WindowScale">The peer's window shift, when its SYN offered one and timestamps carried it back.</param>
/// <param name="Sack">The SYN was SACK-permitted (known only with timestamps).</param>
internal readonly record struct SynCookie(ushort Mss, byte? WindowScale, bool Sack);

/// <summary>
/// SYN cookies (RFC 4987 §3.6): the listener's state of a SYN folded into the ISN of its SYN-ACK, so a flood of
/// spoofed SYNs costs no memory. Linux's encoding is the model (net/ipv4/syncookies.c):
/// <code>
/// ISN = H1(4-tuple) + peer ISN + (minute &lt;&lt; 24) + ((H2(4-tuple, minute) + MSS index) mod 2^24)
/// </code>
/// H1 and H2 are SipHash-2-4 with the stack's secret; the minute counter inside H2 makes the MAC's key rotate
/// every minute, and a cookie is taken for <see cref="MaxAgeMinutes"/> minutes after the one it was made in.
/// With timestamps, the low six bits of the SYN-ACK's TSval carry the rest of the SYN's options (four bits of
/// window shift, 15 = none; one bit SACK-permitted; one bit ECN, unused here), and the peer echoes them in TSecr.
/// Without timestamps a cookie connection has neither window scaling nor SACK, as on Linux.
/// </summary>
internal sealed class SynCookieCodec(IsnGenerator keys)
{
    /// <summary>Linux's MAX_SYNCOOKIE_AGE: a cookie made in minute m is good through minute m + 1.</summary>
    public const int MaxAgeMinutes = 2;

    /// <summary>Bits of TSval that carry options (Linux TS_OPT_BITS / TSBITS).</summary>
    public const int TsOptionBits = 6;

    private const uint TsOptionMask = (1u << TsOptionBits) - 1;
    private const uint NoWindowScale = 0xF;
    private const uint SackBit = 1u << 4;

    // Linux's tables: common MSS values, each slightly below what its link carries (msstab, msstab6).
    private static readonly ushort[] Mss4 = [536, 1300, 1440, 1460];
    private static readonly ushort[] Mss6 = [1220, 1420, 1440, 8940];

    /// <summary>The cookie ISN for a SYN from <paramref name="tuple"/> with sequence <paramref name="peerIsn"/>.</summary>
    public SeqNum Make(FourTuple tuple, SeqNum peerIsn, ushort peerMss, Instant now)
    {
        ushort[] table = tuple.RemoteAddress.IsIpv6 ? Mss6 : Mss4;
        int index = table.Length - 1;
        while (index > 0 && table[index] > peerMss)
        {
            index--;
        }
        uint minute = Minute(now);
        uint cookie = unchecked(H1(tuple) + peerIsn.Value + (minute << 24) + ((H2(tuple, minute) + (uint)index) & 0xFFFFFF));
        return new SeqNum(cookie);
    }

    /// <summary>
    /// Checks the ACK of a cookie SYN-ACK: <paramref name="ack"/> is its acknowledgment number, <paramref name="seq"/>
    /// its sequence number (the peer's ISN + 1), <paramref name="tsEcr"/> its echoed timestamp when it had one.
    /// </summary>
    public bool TryCheck(FourTuple tuple, SeqNum seq, SeqNum ack, uint? tsEcr, Instant now, out SynCookie cookie)
    {
        cookie = default;
        uint value = unchecked((ack - 1).Value - H1(tuple) - (seq - 1).Value);
        uint minute = Minute(now);
        uint age = (minute - (value >> 24)) & 0xFF;
        if (age >= MaxAgeMinutes)
        {
            return false;
        }
        uint index = unchecked(value - H2(tuple, minute - age)) & 0xFFFFFF;
        ushort[] table = tuple.RemoteAddress.IsIpv6 ? Mss6 : Mss4;
        if (index >= table.Length)
        {
            return false;
        }
        byte? shift = null;
        bool sack = false;
        if (tsEcr is uint echo)
        {
            uint wscale = echo & NoWindowScale;
            if (wscale != NoWindowScale)
            {
                if (wscale > 14)
                {
                    return false; // Never encoded by us: a forged echo.
                }
                shift = (byte)wscale;
            }
            sack = (echo & SackBit) != 0;
        }
        cookie = new SynCookie(table[index], shift, sack);
        return true;
    }

    /// <summary>
    /// The TSval of a cookie SYN-ACK: <paramref name="clock"/> (the connection's timestamp clock now) with its
    /// low bits replaced by the SYN's options, moved back a step if that put it ahead of the clock (Linux
    /// cookie_init_timestamp), so the connection's later TSvals never go backwards.
    /// </summary>
    public static uint EncodeTimestamp(uint clock, byte? windowScale, bool sack)
    {
        uint options = (windowScale is byte s ? Math.Min(s, (byte)14) : NoWindowScale) | (sack ? SackBit : 0);
        uint ts = (clock & ~TsOptionMask) | options;
        if (unchecked((int)(ts - clock)) > 0)
        {
            ts = unchecked(ts - (1u << TsOptionBits));
        }
        return ts;
    }

    private static uint Minute(Instant now) => unchecked((uint)(now.Milliseconds / 60_000));

    private uint H1(FourTuple tuple) => (uint)Hash(tuple, 0, 0);

    private uint H2(FourTuple tuple, uint minute) => (uint)(Hash(tuple, 1, minute) >> 32);

    /// <summary>SipHash of the 4-tuple, a domain byte and a counter: never the same input as an ISN's.</summary>
    private ulong Hash(FourTuple tuple, byte domain, uint counter)
    {
        Span<byte> input = stackalloc byte[16 + 16 + 2 + 2 + 1 + 4];
        int n = tuple.LocalAddress.IsIpv6 ? 16 : 4;
        Write(tuple.LocalAddress, input);
        Write(tuple.RemoteAddress, input[n..]);
        n *= 2;
        BinaryPrimitives.WriteUInt16BigEndian(input[n..], tuple.LocalPort);
        BinaryPrimitives.WriteUInt16BigEndian(input[(n + 2)..], tuple.RemotePort);
        input[n + 4] = domain;
        BinaryPrimitives.WriteUInt32BigEndian(input[(n + 5)..], counter);
        return keys.Mac(input[..(n + 9)]);
    }

    private static void Write(Stack.IP.IpAddress address, Span<byte> destination)
    {
        if (address.IsIpv6)
        {
            address.V6.Write(destination);
        }
        else
        {
            address.V4.Write(destination);
        }
    }
}

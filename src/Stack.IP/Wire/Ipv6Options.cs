using Stack.Link.Diagnostics;

namespace Stack.IP.Wire;

/// <summary>
/// The TLV options of a Hop-by-Hop or Destination Options header (RFC 8200 §4.2). The only option we read is
/// the Router Alert (RFC 2711), which MLD requires; every other option but padding is handled by its two high
/// "action" bits.
/// </summary>
internal static class Ipv6Options
{
    /// <summary>Offset of the first option inside the extension header (after next header and length).</summary>
    public const int FirstOptionOffset = 2;

    private const byte Pad1 = 0;
    private const byte PadN = 1;

    /// <summary>RFC 2711 §2.1: the Router Alert option, type 5 (action "skip"), two bytes of value.</summary>
    public const byte RouterAlert = 5;
    public const int RouterAlertLength = 2;

    private const int ActionSkip = 0b00;
    private const int ActionDiscard = 0b01;
    private const int ActionDiscardAndReport = 0b10;
    private const int ActionReportUnlessMulticast = 0b11;

    /// <summary>
    /// Checks the options of one header. <paramref name="header"/> is the whole extension header;
    /// <paramref name="headerPointer"/> is its offset from the start of the IPv6 header, so a returned
    /// <paramref name="pointer"/> can go straight into an ICMPv6 parameter problem (-1: send none). The value of a
    /// well-formed Router Alert option goes to <paramref name="routerAlert"/> (null when there is none).
    /// </summary>
    public static bool Check(ReadOnlySpan<byte> header, int headerPointer, bool destinationIsMulticast,
        out RejectReason reason, out int pointer, out ushort? routerAlert)
    {
        routerAlert = null;
        int i = FirstOptionOffset;
        while (i < header.Length)
        {
            byte type = header[i];
            if (type == Pad1)
            {
                i++;
                continue;
            }
            // An option whose length runs past its header is malformed; Linux drops it silently too.
            if (i + 1 >= header.Length || i + 2 + header[i + 1] > header.Length)
            {
                reason = RejectReason.BadOption;
                pointer = -1;
                return false;
            }
            if (type == RouterAlert && header[i + 1] == RouterAlertLength)
                routerAlert = (ushort)(header[i + 2] << 8 | header[i + 3]);
            else if (type != PadN)
            {
                // RFC 8200 §4.2: the two high-order bits say what to do with an option we do not recognise.
                switch (type >> 6)
                {
                    case ActionSkip:
                        break;
                    case ActionDiscard:
                        reason = RejectReason.BadOption;
                        pointer = -1;
                        return false;
                    case ActionDiscardAndReport:
                        reason = RejectReason.BadOption;
                        pointer = headerPointer + i;
                        return false;
                    case ActionReportUnlessMulticast:
                        reason = RejectReason.BadOption;
                        pointer = destinationIsMulticast ? -1 : headerPointer + i;
                        return false;
                }
            }
            i += 2 + header[i + 1];
        }
        reason = RejectReason.None;
        pointer = -1;
        return true;
    }
}

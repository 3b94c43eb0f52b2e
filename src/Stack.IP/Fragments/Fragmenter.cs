namespace Stack.IP.Fragments;

/// <summary>One fragment of a plan: payload bytes [Offset, Offset + Length), and whether more follow (the MF flag).</summary>
public readonly record struct FragmentSlice(int Offset, int Length, bool More);

/// <summary>
/// Splits a payload into fragments (RFC 791 §3.2, RFC 8200 §4.5). It only plans; writing each fragment's header
/// belongs to the IPv4/IPv6 code, which copies payload[slice.Offset..][..slice.Length] after its header.
/// </summary>
public static class Fragmenter
{
    /// <summary>IPv6 Fragment extension header length (RFC 8200 §4.5).</summary>
    public const int Ipv6FragmentHeaderLength = 8;

    /// <summary>
    /// Payload bytes each fragment may carry on a link of <paramref name="mtu"/>, rounded down to a multiple of 8.
    /// <paramref name="headerLength"/> is the IPv4 header, or the IPv6 fixed header plus unfragmentable part (the
    /// 8-byte Fragment header is added here when <paramref name="ipv6"/>). Returns 0 when not even 8 bytes fit.
    /// </summary>
    public static int MaxFragmentPayload(int mtu, int headerLength, bool ipv6)
    {
        int room = mtu - headerLength - (ipv6 ? Ipv6FragmentHeaderLength : 0);
        return room < 8 ? 0 : room & ~7;
    }

    /// <summary>How many fragments <see cref="Plan"/> will produce.</summary>
    public static int Count(int payloadLength, int maxFragmentPayload)
    {
        int step = Step(payloadLength, maxFragmentPayload);
        return payloadLength == 0 ? 1 : (payloadLength + step - 1) / step;
    }

    /// <summary>
    /// Fills <paramref name="slices"/> with the plan and returns how many it wrote: every offset a multiple of 8,
    /// every length at most <paramref name="maxFragmentPayload"/> rounded down to a multiple of 8, only the last
    /// without More, covering the payload exactly. A payload that fits yields one slice without More.
    /// </summary>
    public static int Plan(int payloadLength, int maxFragmentPayload, Span<FragmentSlice> slices)
    {
        int step = Step(payloadLength, maxFragmentPayload);
        int count = Count(payloadLength, maxFragmentPayload);
        if (slices.Length < count)
            throw new ArgumentException($"The plan needs {count} slices (see Fragmenter.Count); {slices.Length} given.", nameof(slices));
        for (int i = 0; i < count; i++)
        {
            int offset = i * step;
            int length = Math.Min(step, payloadLength - offset);
            slices[i] = new FragmentSlice(offset, length, More: i < count - 1);
        }
        return count;
    }

    private static int Step(int payloadLength, int maxFragmentPayload)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        if (maxFragmentPayload < 8)
            throw new ArgumentOutOfRangeException(nameof(maxFragmentPayload), maxFragmentPayload,
                "A fragment must carry at least 8 bytes; the MTU is too small for this header.");
        return maxFragmentPayload & ~7;
    }
}

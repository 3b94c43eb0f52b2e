using System.Globalization;

namespace Stack.Tcp;

/// <summary>
/// A TCP sequence number: a point on a 2^32 circle, compared modulo 2^32 (RFC 9293 §3.4, in the manner of
/// RFC 1982 serial numbers). <c>a &lt; b</c> means b lies less than 2^31 ahead of a, so comparisons stay right
/// across the wrap as long as the numbers compared are within 2^31 of each other, which TCP's windows
/// guarantee. The order is not transitive around the whole circle, so the type deliberately does not
/// implement <see cref="IComparable{T}"/>: do not sort by it.
/// </summary>
public readonly record struct SeqNum(uint Value)
{
    public static bool operator <(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value)) < 0;
    public static bool operator >(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value)) > 0;
    public static bool operator <=(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value)) <= 0;
    public static bool operator >=(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value)) >= 0;

    /// <summary>The number <paramref name="n"/> places on (n may be negative), wrapping modulo 2^32.</summary>
    public static SeqNum operator +(SeqNum a, int n) => new(unchecked(a.Value + (uint)n));

    /// <summary>The number <paramref name="n"/> places back, wrapping modulo 2^32.</summary>
    public static SeqNum operator -(SeqNum a, int n) => new(unchecked(a.Value - (uint)n));

    /// <summary>The signed distance from b to a: positive when a is ahead of b.</summary>
    public static int operator -(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value));

    public static SeqNum Max(SeqNum a, SeqNum b) => a >= b ? a : b;

    public static SeqNum Min(SeqNum a, SeqNum b) => a <= b ? a : b;

    /// <summary>
    /// True when <c>start ≤ this &lt; start + length</c> on the circle, the form of the RFC 9293 §3.10.7.4
    /// acceptability test. An empty window (length ≤ 0) contains nothing.
    /// </summary>
    public bool InWindow(SeqNum start, int length) => length > 0 && unchecked(Value - start.Value) < (uint)length;

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A half-open range of sequence space <c>[Start, End)</c>, such as a block of out-of-order data held by the
/// receiver, reported to the peer as a SACK block (RFC 2018 §3: left edge, right edge = next after the block).
/// </summary>
public readonly record struct SeqRange(SeqNum Start, SeqNum End)
{
    public int Length => End - Start;

    public override string ToString() => $"[{Start}, {End})";
}

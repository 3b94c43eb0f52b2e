namespace Stack.Link.Time;

/// <summary>
/// A point on the stack's own clock, in microseconds since an arbitrary epoch. The protocol core is handed
/// instants; it never reads a clock itself, so tests can step through minutes of protocol time instantly.
/// </summary>
public readonly record struct Instant(long Microseconds) : IComparable<Instant>
{
    public static readonly Instant Zero = new(0);

    /// <summary>Later than every real instant: the deadline of a timer that is not armed.</summary>
    public static readonly Instant Never = new(long.MaxValue);

    public static Instant FromMilliseconds(long ms) => new(ms * 1000);

    public static Instant FromTimeSpan(TimeSpan t) => new(t.Ticks / TimeSpan.TicksPerMicrosecond);

    public long Milliseconds => Microseconds / 1000;

    public TimeSpan ToTimeSpan() => TimeSpan.FromTicks(Microseconds * TimeSpan.TicksPerMicrosecond);

    public static Instant operator +(Instant a, TimeSpan d) =>
        a == Never ? Never : new(a.Microseconds + d.Ticks / TimeSpan.TicksPerMicrosecond);

    public static Instant operator -(Instant a, TimeSpan d) => new(a.Microseconds - d.Ticks / TimeSpan.TicksPerMicrosecond);

    public static TimeSpan operator -(Instant a, Instant b) =>
        TimeSpan.FromTicks((a.Microseconds - b.Microseconds) * TimeSpan.TicksPerMicrosecond);

    public static bool operator <(Instant a, Instant b) => a.Microseconds < b.Microseconds;
    public static bool operator >(Instant a, Instant b) => a.Microseconds > b.Microseconds;
    public static bool operator <=(Instant a, Instant b) => a.Microseconds <= b.Microseconds;
    public static bool operator >=(Instant a, Instant b) => a.Microseconds >= b.Microseconds;

    public static Instant Min(Instant a, Instant b) => a < b ? a : b;

    public static Instant Max(Instant a, Instant b) => a > b ? a : b;

    public int CompareTo(Instant other) => Microseconds.CompareTo(other.Microseconds);

    public override string ToString() =>
        this == Never ? "never" : $"{Microseconds / 1_000_000}.{Microseconds % 1_000_000:D6}s";
}

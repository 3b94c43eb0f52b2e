using System.Globalization;

namespace Stack.Scripting;

public enum ScriptTimeKind
{
    /// <summary><c>0.100</c>: microseconds since the script started.</summary>
    Absolute,

    /// <summary><c>+0.1</c>: microseconds after the previous event.</summary>
    Relative,

    /// <summary><c>*</c>: any time (packets only, in practice).</summary>
    Any,

    /// <summary><c>+0~+0.1</c> or <c>0.1~0.2</c>: any time in the closed range, both ends relative or both absolute.</summary>
    Range,
}

/// <summary>A moment written in a script: seconds with up to six decimals, held in microseconds.</summary>
public readonly record struct TimePoint(long Microseconds, bool IsRelative)
{
    /// <summary>The moment as microseconds since the script started, given the time the reference event happened.</summary>
    public long Resolve(long referenceMicroseconds) => IsRelative ? referenceMicroseconds + Microseconds : Microseconds;

    public override string ToString() => (IsRelative ? "+" : "") + ScriptTime.FormatSeconds(Microseconds);
}

/// <summary>
/// When an event is due. <see cref="Start"/> holds the time for Absolute and Relative (and the range's start for
/// Range); <see cref="RangeEnd"/> the range's end. <see cref="BlockingEnd"/> is set for a blocking system call
/// written <c>+0...0.100 accept(...)</c>: the call starts at <see cref="Start"/> and must return at the end time,
/// which counts from the same reference as the start (as in packetdrill: <c>+0...0.1</c> returns 0.1 s after the
/// previous event), so <c>BlockingEnd.IsRelative == Start.IsRelative</c>. Events written after a blocking call
/// happen while it blocks, and their relative times count from the call's start.
/// </summary>
public readonly record struct ScriptTime(ScriptTimeKind Kind, TimePoint Start, TimePoint? RangeEnd = null, TimePoint? BlockingEnd = null)
{
    public static ScriptTime Absolute(long microseconds) => new(ScriptTimeKind.Absolute, new TimePoint(microseconds, false));
    public static ScriptTime Relative(long microseconds) => new(ScriptTimeKind.Relative, new TimePoint(microseconds, true));
    public static ScriptTime Any { get; } = new(ScriptTimeKind.Any, default);

    public static ScriptTime Range(TimePoint start, TimePoint end)
    {
        if (start.IsRelative != end.IsRelative)
            throw new ArgumentException("Both ends of a range are relative or both are absolute.", nameof(end));
        return new(ScriptTimeKind.Range, start, end);
    }

    /// <summary>A blocking call's return time, measured from the same reference as <see cref="Start"/>.</summary>
    public ScriptTime WithBlockingEnd(long microseconds) => this with { BlockingEnd = new TimePoint(microseconds, Start.IsRelative) };

    /// <summary>
    /// When the event may happen, in microseconds since the script started, given when the previous event
    /// happened (for a blocking call: when it started) and the script's tolerance; null for <c>*</c>.
    /// </summary>
    public (long Earliest, long Latest)? Window(long previousMicroseconds, long toleranceMicroseconds) => Kind switch
    {
        ScriptTimeKind.Any => null,
        ScriptTimeKind.Range => (Start.Resolve(previousMicroseconds) - toleranceMicroseconds,
            RangeEnd!.Value.Resolve(previousMicroseconds) + toleranceMicroseconds),
        _ => (Start.Resolve(previousMicroseconds) - toleranceMicroseconds, Start.Resolve(previousMicroseconds) + toleranceMicroseconds),
    };

    /// <summary>When a blocking call must return, in microseconds since the script started; null when it does not block.</summary>
    public long? BlockingEndAt(long previousMicroseconds) => BlockingEnd?.Resolve(previousMicroseconds);

    public override string ToString()
    {
        string start = Kind switch
        {
            ScriptTimeKind.Any => "*",
            ScriptTimeKind.Range => $"{Start}~{RangeEnd}",
            _ => Start.ToString(),
        };
        return BlockingEnd is { } end ? $"{start}...{FormatSeconds(end.Microseconds)}" : start;
    }

    /// <summary>Seconds with the fewest decimals that keep every microsecond: 100000 → "0.1", 0 → "0".</summary>
    public static string FormatSeconds(long microseconds)
    {
        long seconds = microseconds / 1_000_000, fraction = microseconds % 1_000_000;
        if (fraction == 0) return seconds.ToString(CultureInfo.InvariantCulture);
        return seconds.ToString(CultureInfo.InvariantCulture) + "." + fraction.ToString("D6", CultureInfo.InvariantCulture).TrimEnd('0');
    }
}

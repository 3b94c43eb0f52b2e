using System.Globalization;

namespace Stack.Link.Devices.Impairment;

/// <summary>
/// What a bad network does to frames, per direction: `loss=5%,dup=1%,reorder=2%,corrupt=0.1%,delay=10ms,
/// jitter=2ms,rate=100mbit,seed=7`. Every decision comes from a random generator seeded by <see cref="Seed"/>,
/// so a run can be repeated exactly.
/// </summary>
public sealed record ImpairmentSpec
{
    public double Loss { get; init; }
    public double Duplicate { get; init; }
    public double Reorder { get; init; }
    public double Corrupt { get; init; }
    public TimeSpan Delay { get; init; }
    public TimeSpan Jitter { get; init; }

    /// <summary>Bits per second the link carries; 0 for no limit. Frames beyond a 100 ms backlog are dropped.</summary>
    public long RateBitsPerSecond { get; init; }

    public int Seed { get; init; } = 1;

    public bool IsNone => Loss == 0 && Duplicate == 0 && Reorder == 0 && Corrupt == 0 && Delay == TimeSpan.Zero &&
        Jitter == TimeSpan.Zero && RateBitsPerSecond == 0;

    /// <summary>Parses the `--impair` syntax; a bad part throws <see cref="FormatException"/> naming it.</summary>
    public static ImpairmentSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var spec = new ImpairmentSpec();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new FormatException($"'{part}' is not name=value");
            var (name, value) = (part[..eq], part[(eq + 1)..]);
            spec = name switch
            {
                "loss" => spec with { Loss = Percent(part, value) },
                "dup" => spec with { Duplicate = Percent(part, value) },
                "reorder" => spec with { Reorder = Percent(part, value) },
                "corrupt" => spec with { Corrupt = Percent(part, value) },
                "delay" => spec with { Delay = Duration(part, value) },
                "jitter" => spec with { Jitter = Duration(part, value) },
                "rate" => spec with { RateBitsPerSecond = Rate(part, value) },
                "seed" => spec with { Seed = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : throw Bad(part) },
                _ => throw new FormatException($"unknown impairment '{name}' (loss, dup, reorder, corrupt, delay, jitter, rate, seed)"),
            };
        }
        return spec;
    }

    private static double Percent(string part, string value)
    {
        var number = value.EndsWith('%') ? value[..^1] : value;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) || p < 0 || p > 100)
            throw Bad(part);
        return p / 100;
    }

    private static TimeSpan Duration(string part, string value)
    {
        (string number, double scale) = value.EndsWith("ms", StringComparison.Ordinal) ? (value[..^2], 1e-3)
            : value.EndsWith("us", StringComparison.Ordinal) ? (value[..^2], 1e-6)
            : value.EndsWith('s') ? (value[..^1], 1.0)
            : (value, 1e-3);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || d < 0 || d > 60)
            throw Bad(part);
        return TimeSpan.FromSeconds(d * scale);
    }

    private static long Rate(string part, string value)
    {
        var lower = value.ToLowerInvariant();
        (string number, double scale) = lower.EndsWith("gbit", StringComparison.Ordinal) ? (lower[..^4], 1e9)
            : lower.EndsWith("mbit", StringComparison.Ordinal) ? (lower[..^4], 1e6)
            : lower.EndsWith("kbit", StringComparison.Ordinal) ? (lower[..^4], 1e3)
            : (lower, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) || r <= 0)
            throw Bad(part);
        return (long)(r * scale);
    }

    private static FormatException Bad(string part) => new($"bad impairment '{part}'");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"loss={Loss * 100}%,dup={Duplicate * 100}%,reorder={Reorder * 100}%,corrupt={Corrupt * 100}%,delay={Delay.TotalMilliseconds}ms,jitter={Jitter.TotalMilliseconds}ms,rate={RateBitsPerSecond},seed={Seed}");
}

using Stack.Link.Time;

namespace Stack.Link.Devices.Impairment;

/// <summary>
/// The decisions of an impaired link in one direction, sans-I/O: handed a frame and the time, it says which
/// copies of it leave and when. A reordered frame is held until the next one has gone. Deterministic per seed.
/// </summary>
public sealed class Impairment(ImpairmentSpec spec, int seedOffset = 0)
{
    /// <summary>Frames further behind than this on a rate-limited link are dropped (a tail-drop queue).</summary>
    private static readonly TimeSpan MaxBacklog = TimeSpan.FromMilliseconds(100);

    private readonly Random _random = new(spec.Seed + seedOffset);
    private byte[]? _held;
    private Instant _linkFreeAt;

    public ImpairmentCounters Counters { get; } = new();

    /// <summary>
    /// Decides what becomes of <paramref name="frame"/>; each frame to deliver is passed to
    /// <paramref name="emit"/> with the instant it should leave (copies: the caller's span is not kept).
    /// </summary>
    public void Process(ReadOnlySpan<byte> frame, Instant now, Action<byte[], Instant> emit)
    {
        ArgumentNullException.ThrowIfNull(emit);
        Counters.Offered++;
        if (Chance(spec.Loss))
        {
            Counters.Lost++;
            return;
        }
        var at = now + spec.Delay + Jitter();
        if (spec.RateBitsPerSecond > 0)
        {
            var start = Instant.Max(now, _linkFreeAt);
            if (start - now > MaxBacklog)
            {
                Counters.RateDropped++;
                return;
            }
            _linkFreeAt = start + TimeSpan.FromSeconds(frame.Length * 8.0 / spec.RateBitsPerSecond);
            at = Instant.Max(at, _linkFreeAt);
        }
        var copy = frame.ToArray();
        if (Chance(spec.Corrupt))
        {
            Counters.Corrupted++;
            copy[_random.Next(copy.Length)] ^= (byte)(1 << _random.Next(8));
        }
        if (_held is null && Chance(spec.Reorder))
        {
            Counters.Reordered++;
            _held = copy;
            return;
        }
        emit(copy, at);
        if (Chance(spec.Duplicate))
        {
            Counters.Duplicated++;
            emit(frame.ToArray(), at);
        }
        if (_held is { } held)
        {
            _held = null;
            emit(held, at);
        }
    }

    private bool Chance(double p) => p > 0 && _random.NextDouble() < p;

    private TimeSpan Jitter() => spec.Jitter > TimeSpan.Zero ? spec.Jitter * _random.NextDouble() : TimeSpan.Zero;
}

/// <summary>What an impairment did, counted.</summary>
public sealed class ImpairmentCounters
{
    public long Offered;
    public long Lost;
    public long Duplicated;
    public long Reordered;
    public long Corrupted;
    public long RateDropped;
}

using Stack.Link.Devices;
using Stack.Link.Time;

namespace Stack.Link.Loop;

/// <summary>
/// The loop's bounded busy-poll, Linux's SO_BUSY_POLL for a userspace loop: before the loop sleeps in poll(2) it
/// re-reads the device without blocking, and looks at its inbox and its next deadline, for up to
/// <see cref="Budget"/>. A frame that comes in that window is handled with no sleep and no wake-up: no poll(2) and
/// no scheduler round trip for the loop thread, the largest part of a small round trip's cost. The price is the
/// loop's core, spent for up to the budget on every idle turn: off (zero) by default, as SO_BUSY_POLL is.
/// </summary>
/// <remarks>
/// Drive it from the loop thread only: <see cref="Spin"/> before each sleep, and sleep only when it returns 0 and
/// the loop has no work (the caller's sleep checks that anyway). The counters are plain fields the loop writes and
/// any thread may read (a read may miss the last increment).
/// </remarks>
internal sealed class BusyPoller
{
    private long _budgetTicks;
    private long _spins;
    private long _hits;

    /// <summary>How long one spin may last; zero turns busy-polling off. Settable from any thread.</summary>
    public TimeSpan Budget
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _budgetTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, nameof(value));
            Volatile.Write(ref _budgetTicks, value.Ticks);
        }
    }

    public bool IsOn => Volatile.Read(ref _budgetTicks) > 0;

    /// <summary>Spins begun: the loop had nothing left and busy-polled instead of going straight to sleep.</summary>
    public long Spins => Volatile.Read(ref _spins);

    /// <summary>Spins that ended because a frame or posted work came: each one a sleep and a wake-up saved.</summary>
    public long Hits => Volatile.Read(ref _hits);

    /// <summary>
    /// Reads <paramref name="device"/> (up to <paramref name="max"/> frames, handed to <paramref name="sink"/>) until
    /// it has frames, <paramref name="loop"/> has work, <paramref name="deadline"/> comes or the budget is spent.
    /// Returns what the read that ended it returned (frames handled, or <see cref="IPollableDevice.Gone"/>), else 0.
    /// The device is read at least once, so a spin of any budget never misses a frame already waiting.
    /// </summary>
    public int Spin(IPollableDevice device, IFrameSink sink, int max, IBusyPollLoop loop, Instant deadline)
    {
        Volatile.Write(ref _spins, _spins + 1);
        var end = Instant.Min(loop.Now + Budget, deadline);
        while (true)
        {
            if (loop.HasWork)
            {
                Volatile.Write(ref _hits, _hits + 1);
                return 0;
            }
            int frames = device.ReceiveBatch(sink, max);
            if (frames != 0)
            {
                if (frames > 0) Volatile.Write(ref _hits, _hits + 1);
                return frames;
            }
            if (loop.Now >= end) return 0;
        }
    }
}

/// <summary>What a <see cref="BusyPoller"/> spin watches on the loop besides the device.</summary>
internal interface IBusyPollLoop
{
    /// <summary>The loop's clock.</summary>
    Instant Now { get; }

    /// <summary>Work was posted to the loop, or it is stopping: the spin ends so the loop can go round.</summary>
    bool HasWork { get; }
}

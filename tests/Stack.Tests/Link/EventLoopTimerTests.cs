using Stack.Link.Devices.Memory;
using Stack.Link.Loop;
using Stack.Link.Time;

namespace Stack.Tests.Link;

/// <summary>The loop's wake-up timer: a deadline is met even when the timer fires a little early.</summary>
public sealed class EventLoopTimerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    /// <summary>A clock the test moves, and the one timer the loop makes, fired by the test.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private readonly SemaphoreSlim _changed = new(0);
        private long _ticks;
        private TimerCallback? _callback;
        private object? _state;
        private int _changes;

        public int Changes => Volatile.Read(ref _changes);

        /// <summary>Waits until the loop has (re)armed its timer <paramref name="count"/> times in all; false if it does not.</summary>
        public bool WaitForChanges(int count)
        {
            while (Changes < count)
            {
                if (!_changed.Wait(Patience)) return false;
            }
            return true;
        }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public void Fire() => _callback!(_state);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _callback = callback;
            _state = state;
            return new Timer(this);
        }

        private sealed class Timer(ManualTime owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                Interlocked.Increment(ref owner._changes);
                owner._changed.Release();
                return true;
            }

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    /// <summary>A core with one deadline, 50 ms after it starts.</summary>
    private sealed class OneDeadline : ILinkProtocol
    {
        public readonly ManualResetEventSlim Fired = new();
        private Instant _deadline = Instant.Never;

        public Instant NextDeadline => _deadline;

        public void Start(Instant now) => _deadline = now + TimeSpan.FromMilliseconds(50);

        public void OnFrame(ReadOnlySpan<byte> frame, Instant now)
        {
        }

        public void OnTimer(Instant now)
        {
            if (now < _deadline) return;
            _deadline = Instant.Never;
            Fired.Set();
        }
    }

    [Fact]
    public void A_timer_that_fires_early_is_armed_again_so_the_deadline_still_runs()
    {
        var (port, _) = MemoryLink.CreatePair();
        var time = new ManualTime();
        var core = new OneDeadline();
        using var loop = new EventLoop(port, time);
        loop.Start(core);
        Assert.True(time.WaitForChanges(1), "the loop should arm its timer for the deadline");

        time.Advance(TimeSpan.FromMilliseconds(49));
        int armed = time.Changes;
        time.Fire(); // a millisecond early
        Assert.True(time.WaitForChanges(armed + 1), "a timer that fired before the deadline must be armed again");
        Assert.False(core.Fired.IsSet);

        time.Advance(TimeSpan.FromMilliseconds(1));
        time.Fire();
        Assert.True(core.Fired.Wait(Patience), "the deadline's timer work should run");
    }
}

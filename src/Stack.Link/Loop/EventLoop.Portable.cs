using System.Buffers;
using Stack.Link.Devices;
using Stack.Link.Time;

namespace Stack.Link.Loop;

/// <summary>
/// The portable path: the device's thread copies each frame into the inbox and sets an event; the injected
/// <see cref="TimeProvider"/>'s timer sets it at the core's next deadline.
/// </summary>
public sealed partial class EventLoop
{
    private readonly ManualResetEventSlim? _wake;
    private readonly ITimer? _timer;
    private Instant _armedDeadline = Instant.Never;
    private int _timerFired;

    void IFrameSink.OnFrame(ReadOnlySpan<byte> frame)
    {
        if (_inbox.Count >= InboxCapacity)
        {
            InboxDrops++;
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(frame.Length);
        frame.CopyTo(buffer);
        _inbox.Enqueue(new Item(buffer, frame.Length, null, null, null));
        _wake!.Set();
    }

    private void RunPortable(ILinkProtocol core)
    {
        var wake = _wake!;
        StartCore(core);
        while (!_stopping)
        {
            wake.Reset();
            RunInbox(core);
            var now = Now;
            if (core.NextDeadline <= now) RunTimers(core, now);
            FlushDevice();
            // Work the loop posted to itself (a completion resumed through its context) sets no event.
            if (!_inbox.IsEmpty) continue;
            Sleep(wake, core.NextDeadline);
        }
    }

    /// <summary>
    /// Waits for work or <paramref name="deadline"/>. On the system clock the wait itself times out: a timer's
    /// callback runs on the thread pool, and an application that starves the pool (blocking waits on tasks) would
    /// otherwise hold back delayed ACKs and retransmissions with it — seen as 200 ms stalls under a loaded test run.
    /// Any other clock (a fake one in tests) can only wake the loop through its own timers.
    /// </summary>
    private void Sleep(ManualResetEventSlim wake, Instant deadline)
    {
        if (_time != TimeProvider.System)
        {
            if (ArmTimer(deadline)) wake.Wait();
            return;
        }
        var now = Now;
        if (deadline <= now) return;
        wake.Wait(deadline == Instant.Never ? Timeout.InfiniteTimeSpan : RoundUp(deadline - now));
    }

    private void OnTimerFired()
    {
        Volatile.Write(ref _timerFired, 1);
        _wake!.Set();
    }

    /// <summary>
    /// Arms the wake-up timer; false when the deadline has already passed and the loop should go round. A timer
    /// that fired before its deadline (timers count whole milliseconds, on their own clock) is armed again:
    /// otherwise the loop would sleep past the deadline until some frame or request happened to wake it.
    /// </summary>
    private bool ArmTimer(Instant deadline)
    {
        bool fired = Interlocked.Exchange(ref _timerFired, 0) == 1;
        var now = Now;
        if (deadline <= now) return false;
        if (deadline != _armedDeadline || fired)
        {
            _armedDeadline = deadline;
            _timer!.Change(deadline == Instant.Never ? Timeout.InfiniteTimeSpan : RoundUp(deadline - now), Timeout.InfiniteTimeSpan);
        }
        return true;
    }

    private static TimeSpan RoundUp(TimeSpan delay) => TimeSpan.FromMilliseconds(Math.Ceiling(delay.TotalMilliseconds));
}

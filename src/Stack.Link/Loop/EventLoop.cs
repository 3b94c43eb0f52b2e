using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.Link.Devices;
using Stack.Link.Time;

namespace Stack.Link.Loop;

/// <summary>
/// One thread that owns a stack instance's protocol state. It waits on three things: frames from the link, the
/// core's next timer deadline, and work posted by applications; nothing else touches the core, so nothing locks.
/// Time comes from an injected <see cref="TimeProvider"/>, so a fake clock drives the timers in tests.
/// </summary>
public sealed class EventLoop : IFrameSink, IDisposable
{
    private readonly ILinkDevice _device;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly long _epoch;
    private readonly ConcurrentQueue<Item> _inbox = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly ITimer _timer;
    private readonly Thread _thread;
    private ILinkProtocol? _core;
    private Instant _armedDeadline = Instant.Never;
    private int _timerFired;
    private volatile bool _stopping;

    public EventLoop(ILinkDevice device, TimeProvider? time = null, ILogger? log = null)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
        _epoch = _time.GetTimestamp();
        _timer = _time.CreateTimer(static s => ((EventLoop)s!).OnTimerFired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _thread = new Thread(Run) { IsBackground = true, Name = $"stack-loop {device.Name}" };
    }

    /// <summary>The loop's clock: time since the loop was created.</summary>
    public Instant Now => Instant.FromTimeSpan(_time.GetElapsedTime(_epoch));

    /// <summary>Frames dropped because the loop was not keeping up (the inbox is bounded).</summary>
    public long InboxDrops { get; private set; }

    /// <summary>The most frames waiting at once before the loop drops: about 16 MiB of full frames.</summary>
    public int InboxCapacity { get; init; } = 10_000;

    public bool IsLoopThread => Thread.CurrentThread == _thread;

    public void Start(ILinkProtocol core)
    {
        if (_core is not null) throw new InvalidOperationException("The event loop is already started.");
        _core = core ?? throw new ArgumentNullException(nameof(core));
        _thread.Start();
        _device.Start(this);
    }

    /// <summary>Runs <paramref name="work"/> on the loop thread, soon.</summary>
    public void Post(Action<Instant> work)
    {
        _inbox.Enqueue(new Item(null, 0, work));
        _wake.Set();
    }

    /// <summary>Runs <paramref name="work"/> on the loop thread; the continuation runs elsewhere.</summary>
    public Task<T> InvokeAsync<T>(Func<Instant, T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(now =>
        {
            try { done.SetResult(work(now)); }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task;
    }

    void IFrameSink.OnFrame(ReadOnlySpan<byte> frame)
    {
        if (_inbox.Count >= InboxCapacity)
        {
            InboxDrops++;
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(frame.Length);
        frame.CopyTo(buffer);
        _inbox.Enqueue(new Item(buffer, frame.Length, null));
        _wake.Set();
    }

    private void Run()
    {
        var core = _core!;
        core.Start(Now);
        while (!_stopping)
        {
            _wake.Reset();
            while (!_stopping && _inbox.TryDequeue(out var item)) Handle(core, item);
            var now = Now;
            if (core.NextDeadline <= now) Guard(core, default, now);
            Sleep(core.NextDeadline);
        }
    }

    /// <summary>
    /// Waits for work or <paramref name="deadline"/>. On the system clock the wait itself times out: a timer's
    /// callback runs on the thread pool, and an application that starves the pool (blocking waits on tasks) would
    /// otherwise hold back delayed ACKs and retransmissions with it — seen as 200 ms stalls under a loaded test run.
    /// Any other clock (a fake one in tests) can only wake the loop through its own timers.
    /// </summary>
    private void Sleep(Instant deadline)
    {
        if (_time != TimeProvider.System)
        {
            if (ArmTimer(deadline)) _wake.Wait();
            return;
        }
        var now = Now;
        if (deadline <= now) return;
        _wake.Wait(deadline == Instant.Never ? Timeout.InfiniteTimeSpan : RoundUp(deadline - now));
    }

    private void Handle(ILinkProtocol core, Item item)
    {
        Guard(core, item, Now);
        if (item.Frame is { } frame) ArrayPool<byte>.Shared.Return(frame);
    }

    private void OnTimerFired()
    {
        Volatile.Write(ref _timerFired, 1);
        _wake.Set();
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
            _timer.Change(deadline == Instant.Never ? Timeout.InfiniteTimeSpan : RoundUp(deadline - now), Timeout.InfiniteTimeSpan);
        }
        return true;
    }

    private static TimeSpan RoundUp(TimeSpan delay) => TimeSpan.FromMilliseconds(Math.Ceiling(delay.TotalMilliseconds));

    /// <summary>
    /// A bug in the core must not take the whole stack down with it: log it and keep serving. Malformed packets
    /// never get here (they are rejected and counted by the parsers); this is for defects.
    /// </summary>
    private void Guard(ILinkProtocol core, Item item, Instant now)
    {
        try
        {
            if (item.Frame is { } frame) core.OnFrame(frame.AsSpan(0, item.Length), now);
            else if (item.Work is { } work) work(now);
            else core.OnTimer(now);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.LogError(e, "Unhandled exception in the protocol core on {Device}", _device.Name);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _device.Dispose();
        if (_thread.IsAlive && !IsLoopThread) _thread.Join(TimeSpan.FromSeconds(5));
        _timer.Dispose();
        _wake.Dispose();
    }

    private readonly record struct Item(byte[]? Frame, int Length, Action<Instant>? Work);
}

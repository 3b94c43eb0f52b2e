using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Stack.Link.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.Link.Devices;
using Stack.Link.Time;

namespace Stack.Link.Loop;

/// <summary>
/// One thread that owns a stack instance's protocol state. It waits on three things: frames from the link, the
/// core's next timer deadline, and work posted by applications; nothing else touches the core, so nothing locks.
/// </summary>
/// <remarks>
/// Two ways to wait. A device that can be polled (<see cref="IPollableDevice"/>, such as a TAP) on the system
/// clock is read by the loop itself: it sleeps in poll(2) on the device and an eventfd, with the core's next
/// deadline as the timeout, and handles each frame in place (see EventLoop.Polling.cs). Any other device, or any
/// injected <see cref="TimeProvider"/> (a fake clock in tests), gets the portable path: the device's thread copies
/// frames into a queue, and the provider's timer wakes the loop, so a fake clock drives the timers.
/// </remarks>
public sealed partial class EventLoop : IFrameSink, IDisposable
{
    private readonly ILinkDevice _device;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly long _epoch;
    private readonly ConcurrentQueue<Item> _inbox = new();
    private readonly Thread _thread;
    private ILinkProtocol? _core;
    private Action<Instant>? _configure;
    private readonly TaskCompletionSource _configured = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private int _disposed;
    private long _framesHandled;

    public EventLoop(ILinkDevice device, TimeProvider? time = null, ILogger? log = null)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
        _epoch = _time.GetTimestamp();
        if (device is IPollableDevice { PollHandle: not null } pollable && _time == TimeProvider.System)
        {
            _polled = pollable;
            _eventFd = EventFd.Create();
        }
        else
        {
            _wake = new ManualResetEventSlim(false);
            _timer = _time.CreateTimer(static s => ((EventLoop)s!).OnTimerFired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        _thread = new Thread(Run) { IsBackground = true, Name = $"stack-loop {device.Name}" };
        SynchronizationContext = new LoopSynchronizationContext(this);
    }

    /// <summary>
    /// The loop as a <see cref="System.Threading.SynchronizationContext"/>, installed on the loop thread: code that
    /// awaits there resumes there. Code run on the loop must never block or spin: it holds up every connection.
    /// </summary>
    public LoopSynchronizationContext SynchronizationContext { get; }

    /// <summary>The loop's clock: time since the loop was created.</summary>
    public Instant Now => Instant.FromTimeSpan(_time.GetElapsedTime(_epoch));

    /// <summary>
    /// The provider <see cref="Now"/> and the wake-up timer read. The socket API times its own waits
    /// (SO_RCVTIMEO, SO_SNDTIMEO, linger) on it as well, as Linux does on the clock its TCP timers use, so a
    /// fake clock in tests drives those too.
    /// </summary>
    public TimeProvider Time => _time;

    /// <summary>True when the loop reads the device itself (poll); false when the device's own thread hands frames over.</summary>
    public bool IsPolling => _polled is not null;

    /// <summary>Frames dropped because the loop was not keeping up (the inbox is bounded). Only on the portable path.</summary>
    public long InboxDrops { get; private set; }

    /// <summary>The most frames waiting at once before the loop drops: about 16 MiB of full frames.</summary>
    public int InboxCapacity { get; init; } = 10_000;

    public bool IsLoopThread => Thread.CurrentThread == _thread;

    /// <summary>Frames the loop has handed to the core so far: how busy the link is (the memory trimmer waits for quiet).</summary>
    public long FramesHandled => Volatile.Read(ref _framesHandled);

    /// <summary>
    /// Starts the loop thread. It first runs <paramref name="configure"/>, when given: on the loop thread, with the
    /// loop's <see cref="SynchronizationContext"/> installed, before the core's <see cref="ILinkProtocol.Start"/>
    /// and before any frame is read, so that what it sets up (listeners, bound UDP endpoints) is in place before
    /// the stack announces itself or answers anything. Then it runs what was posted so far, starts the core and
    /// reads frames. This call returns once <paramref name="configure"/>, what it posted and the core's start have
    /// run (so what the caller posts next finds the core started), and throws what configure threw (the loop then
    /// stops without ever reading the device: dispose it).
    /// </summary>
    public void Start(ILinkProtocol core, Action<Instant>? configure = null)
    {
        if (_core is not null) throw new InvalidOperationException("The event loop is already started.");
        _core = core ?? throw new ArgumentNullException(nameof(core));
        _configure = configure;
        _thread.Start();
        _configured.Task.GetAwaiter().GetResult();
        if (!IsPolling) _device.Start(this);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the loop thread, soon, after what was posted before it. Posted from the loop
    /// thread itself it costs no wake-up: the loop drains its inbox before it sleeps.
    /// </summary>
    public void Post(Action<Instant> work)
    {
        _inbox.Enqueue(new Item(null, 0, work, null, null));
        if (!IsLoopThread) Wake();
    }

    /// <summary>
    /// <see cref="Post(Action{Instant})"/> with the work's state passed beside it, as
    /// <see cref="ThreadPool.UnsafeQueueUserWorkItem{TState}(Action{TState}, TState, bool)"/> takes it: with a static
    /// lambda and a state object that already exists (a socket's operation or channel), posting allocates nothing,
    /// where a lambda capturing the state makes a closure and a delegate on every post. A value-type state is boxed.
    /// </summary>
    public void Post<TState>(Action<Instant, TState> work, TState state)
    {
        _inbox.Enqueue(new Item(null, 0, work, state, Posted<TState>.Run));
        if (!IsLoopThread) Wake();
    }

    /// <summary>
    /// A continuation posted through <see cref="SynchronizationContext"/> (an await on the loop thread): queued with
    /// its state as they are, so resuming on the loop allocates nothing.
    /// </summary>
    internal void Post(SendOrPostCallback continuation, object? state)
    {
        _inbox.Enqueue(new Item(null, 0, continuation, state, RunCallback));
        if (!IsLoopThread) Wake();
    }

    private static readonly Action<Delegate, object?, Instant> RunCallback = static (work, state, _) => ((SendOrPostCallback)work)(state);

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

    private void Wake()
    {
        if (IsPolling) WakePoller();
        else _wake!.Set();
    }

    /// <summary>True once <see cref="Dispose"/> began: posted work may never run.</summary>
    internal bool IsStopping => _stopping;

    private void Run()
    {
        System.Threading.SynchronizationContext.SetSynchronizationContext(SynchronizationContext);
        var core = _core!;
        if (!Configure()) return;
        try
        {
            if (_polled is { } device) RunPolling(core, device);
            else RunPortable(core);
        }
        finally
        {
            _configured.TrySetResult(); // a loop that ended before its core started must not leave Start waiting
        }
    }

    /// <summary>Runs the start's configure step on the loop thread; false (the loop ends) when it threw.</summary>
    private bool Configure()
    {
        try
        {
            _configure?.Invoke(Now);
            _configure = null;
            return true;
        }
        catch (Exception e)
        {
            _stopping = true;
            _configured.SetException(e);
            return false;
        }
    }

    /// <summary>
    /// The link comes up: what was posted before it (services started by the configure step) gets its turn,
    /// then the core announces itself (gratuitous ARP, unsolicited neighbour advertisements).
    /// </summary>
    /// <remarks>
    /// Start returns only then, so that what its caller posts next comes after the core started, not before.
    /// </remarks>
    private void StartCore(ILinkProtocol core)
    {
        try
        {
            RunInbox(core);
            core.Start(Now);
        }
        finally
        {
            _configured.TrySetResult();
        }
    }

    /// <summary>Runs everything posted so far (and frames queued by a device thread).</summary>
    private void RunInbox(ILinkProtocol core)
    {
        while (!_stopping && _inbox.TryDequeue(out var item))
        {
            if (item.Frame is { } frame)
            {
                HandleFrame(core, frame.AsSpan(0, item.Length), Now);
                ArrayPool<byte>.Shared.Return(frame);
            }
            else if (item.Work is { } work)
            {
                try
                {
                    if (item.Run is { } run) run(work, item.State, Now);
                    else ((Action<Instant>)work)(Now);
                }
                catch (Exception e) when (e is not OutOfMemoryException) { Report(e); }
            }
        }
    }

    /// <summary>
    /// A bug in the core must not take the whole stack down with it: log it and keep serving. Malformed packets
    /// never get here (they are rejected and counted by the parsers); this is for defects.
    /// </summary>
    private void HandleFrame(ILinkProtocol core, ReadOnlySpan<byte> frame, Instant now)
    {
        Volatile.Write(ref _framesHandled, _framesHandled + 1); // one writer, the loop; any thread reads
        try { core.OnFrame(frame, now); }
        catch (Exception e) when (e is not OutOfMemoryException) { Report(e); }
    }

    private void RunTimers(ILinkProtocol core, Instant now)
    {
        try { core.OnTimer(now); }
        catch (Exception e) when (e is not OutOfMemoryException) { Report(e); }
    }

    /// <summary>
    /// The end of a round: a device that joins segments (<see cref="ILinkDevice.SegmentationOffload"/>) sends what
    /// it held, so a burst leaves as one write and nothing waits while the loop sleeps.
    /// </summary>
    private void FlushDevice()
    {
        try { _device.Flush(); }
        catch (ObjectDisposedException) { } // The device went first; the loop is stopping.
        catch (Exception e) when (e is not OutOfMemoryException) { Report(e); }
    }

    private void Report(Exception e) => LinkLog.CoreThrew(_log, e, _device.Name);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stopping = true;
        if (IsPolling)
        {
            // The loop holds references on the device's descriptor and the eventfd: it lets go when it ends, and
            // only then are they closed, even when Dispose runs on the loop thread itself.
            _eventFd!.Signal();
            if (_thread.IsAlive && !IsLoopThread) _thread.Join(TimeSpan.FromSeconds(5));
            _device.Dispose();
            _eventFd.Dispose();
            return;
        }
        _wake!.Set();
        _device.Dispose();
        if (_thread.IsAlive && !IsLoopThread) _thread.Join(TimeSpan.FromSeconds(5));
        _timer!.Dispose();
        _wake.Dispose();
    }

    /// <summary>
    /// A frame a device thread queued, or posted work: an <see cref="Action{Instant}"/> alone, or a delegate with its
    /// state and the <c>Run</c> that calls it (<see cref="Posted{TState}.Run"/>, <see cref="RunCallback"/>).
    /// </summary>
    private readonly record struct Item(byte[]? Frame, int Length, Delegate? Work, object? State, Action<Delegate, object?, Instant>? Run);

    /// <summary>Calls posted work with its state, both typed again: one delegate per state type, made once.</summary>
    private static class Posted<TState>
    {
        public static readonly Action<Delegate, object?, Instant> Run =
            static (work, state, now) => ((Action<Instant, TState>)work)(now, (TState)state!);
    }
}

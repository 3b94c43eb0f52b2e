using System.Runtime.InteropServices;
using Stack.Link.Devices;
using Stack.Link.Diagnostics;
using Stack.Link.Time;

namespace Stack.Link.Loop;

/// <summary>
/// The polling path: the loop thread reads the device itself. Each round it reads a batch of frames and handles
/// them in place, runs posted work and due timers, and, once the device has nothing more, busy-polls for up to
/// <see cref="BusyPoll"/> (off by default) and then sleeps in poll(2) on the device and an eventfd until a frame, a
/// post or the next deadline.
/// </summary>
public sealed unsafe partial class EventLoop : IBusyPollLoop
{
    /// <summary>Frames read per round before posted work and timers get a turn (a round of GSO frames is ~2 MiB).</summary>
    private const int PollBatch = 32;

    /// <summary>
    /// Frames read by the first read after the loop was idle (woken from poll(2), or in a busy-poll spin). One: the
    /// round answers it (a small request's reply is written) before the next read, which usually finds the device
    /// empty, so the reply does not wait out that read. A batch that fills it reads on at <see cref="PollBatch"/>.
    /// </summary>
    private const int FirstBatch = 1;
    private const int ErrorBackoffMs = 10;

    private readonly IPollableDevice? _polled;
    private readonly EventFd? _eventFd;

    /// <summary>
    /// 1 while the loop is awake (it will look at the inbox before it sleeps), 0 while it is going to sleep or
    /// asleep. A poster that swaps 0 for 1 signals the eventfd; one that finds 1 need not, saving a syscall per
    /// post while the loop is busy.
    /// </summary>
    private int _awake = 1;

    private readonly BusyPoller _busyPoll = new();
    private long _sleeps;

    /// <summary>
    /// How long the loop busy-polls the device before it sleeps in poll(2) (SO_BUSY_POLL's idea; see
    /// <see cref="BusyPoller"/>): zero, the default, for never. Polling path only; settable at any time.
    /// </summary>
    public TimeSpan BusyPoll
    {
        get => _busyPoll.Budget;
        set => _busyPoll.Budget = value;
    }

    /// <summary>Busy-poll spins begun (the loop had nothing left and spun instead of sleeping at once).</summary>
    public long BusyPollSpins => _busyPoll.Spins;

    /// <summary>Spins that a frame or posted work ended: each a sleep and a wake-up saved.</summary>
    public long BusyPollHits => _busyPoll.Hits;

    /// <summary>Times the polling loop slept in poll(2): its wake-ups. Zero on the portable path.</summary>
    public long Sleeps => Volatile.Read(ref _sleeps);

    Instant IBusyPollLoop.Now => Now;

    bool IBusyPollLoop.HasWork => !_inbox.IsEmpty || _stopping;

    private void WakePoller()
    {
        if (Interlocked.Exchange(ref _awake, 1) == 0) _eventFd!.Signal();
    }

    private void RunPolling(ILinkProtocol core, IPollableDevice device)
    {
        var deviceHandle = device.PollHandle!;
        var wakeHandle = _eventFd!.Handle;
        bool deviceRef = false, wakeRef = false;
        try
        {
            deviceHandle.DangerousAddRef(ref deviceRef);
            wakeHandle.DangerousAddRef(ref wakeRef);
            var fds = stackalloc LibC.PollFd[2];
            fds[0] = new LibC.PollFd { Fd = (int)deviceHandle.DangerousGetHandle(), Events = LibC.POLLIN };
            fds[1] = new LibC.PollFd { Fd = (int)wakeHandle.DangerousGetHandle(), Events = LibC.POLLIN };
            var sink = new InPlaceSink(this, core);
            StartCore(core);
            bool deviceError = false;
            int max = PollBatch, spun = 0;
            while (!_stopping)
            {
                // Frames a busy-poll read were handled there; the read that found them left the device drained
                // (unless it filled a batch), so this round need not read again.
                int frames = spun != 0 ? spun : fds[0].Fd < 0 ? 0 : device.ReceiveBatch(sink, max);
                spun = 0;
                if (frames == IPollableDevice.Gone)
                {
                    // Gone for good (the device said so, once): poll(2) skips a negative fd, so the loop sleeps on
                    // posts and timers alone instead of waking to the dead fd's POLLERR every round.
                    fds[0].Fd = -1;
                    frames = 0;
                }
                else if (deviceError)
                {
                    // The fd reported an error without data and the read did not say the device is gone: do not spin on it.
                    LinkLog.PollError(_log, _device.Name, fds[0].Revents);
                    Thread.Sleep(ErrorBackoffMs);
                }
                RunInbox(core);
                var now = Now;
                if (core.NextDeadline <= now) RunTimers(core, now);
                FlushDevice();
                bool full = frames >= max;
                max = FirstBatch;
                if (full)
                {
                    // The device may hold more: read on without sleeping, a whole batch now.
                    max = PollBatch;
                    deviceError = false;
                    continue;
                }
                if (_busyPoll.IsOn && fds[0].Fd >= 0 && !deviceError)
                {
                    spun = _busyPoll.Spin(device, sink, max, this, core.NextDeadline);
                    if (spun != 0) continue;
                }
                deviceError = Sleep(core, fds);
            }
        }
        catch (ObjectDisposedException) when (!deviceRef || !wakeRef)
        {
            // Disposed before the thread got going: nothing to run.
        }
        finally
        {
            if (wakeRef) wakeHandle.DangerousRelease();
            if (deviceRef) deviceHandle.DangerousRelease();
        }
    }

    /// <summary>
    /// Waits in poll(2) for a frame, a post or the core's next deadline, unless one is already here. True when the
    /// device reported an error without data (POLLERR, POLLHUP, POLLNVAL): the next read finds out what it is.
    /// </summary>
    private bool Sleep(ILinkProtocol core, LibC.PollFd* fds)
    {
        Interlocked.Exchange(ref _awake, 0);
        int timeout = TimeoutMs(core.NextDeadline);
        if (!_inbox.IsEmpty || _stopping || timeout == 0)
        {
            Volatile.Write(ref _awake, 1);
            return false;
        }
        fds[0].Revents = 0;
        fds[1].Revents = 0;
        Volatile.Write(ref _sleeps, _sleeps + 1);
        int ready = LibC.Poll(fds, 2, timeout);
        Volatile.Write(ref _awake, 1);
        if (ready < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR) return false;
            LinkLog.PollFailed(_log, _device.Name, LibC.Describe(errno));
            Thread.Sleep(ErrorBackoffMs);
            return false;
        }
        if ((fds[1].Revents & LibC.POLLIN) != 0) _eventFd!.Drain();
        return (fds[0].Revents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0 && (fds[0].Revents & LibC.POLLIN) == 0;
    }

    /// <summary>poll's timeout for <paramref name="deadline"/>: -1 for never, else whole milliseconds rounded up.</summary>
    private int TimeoutMs(Instant deadline)
    {
        if (deadline == Instant.Never) return -1;
        var now = Now;
        if (deadline <= now) return 0;
        return (int)Math.Min(Math.Ceiling((deadline - now).TotalMilliseconds), int.MaxValue);
    }

    /// <summary>Hands the device's frames straight to the core, on the loop thread, from the device's own buffer.</summary>
    private sealed class InPlaceSink(EventLoop loop, ILinkProtocol core) : IFrameSink
    {
        public void OnFrame(ReadOnlySpan<byte> frame) => loop.HandleFrame(core, frame, loop.Now);
    }
}

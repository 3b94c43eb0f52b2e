using Microsoft.Extensions.Time.Testing;
using Stack.Link.Devices;
using Stack.Link.Loop;
using Stack.Link.Time;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

/// <summary>
/// The loop's polling path (a device it reads itself): frames, posted work and timers all run on the loop thread,
/// and a fake clock or a device that cannot be polled still gets the portable path.
/// </summary>
public sealed class EventLoopPollingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>A core that records the thread each call came on, and answers every frame by sending it back.</summary>
    private sealed class EchoCore(IFrameTransmitter link) : ILinkProtocol
    {
        public readonly ManualResetEventSlim DeadlineRan = new();
        public readonly List<int> FrameThreads = [];
        public int TimerThread;
        public Instant Deadline = Instant.Never;
        public Instant TimerRanAt;

        public Instant NextDeadline => Deadline;

        public void Start(Instant now)
        {
        }

        public void OnFrame(ReadOnlySpan<byte> frame, Instant now)
        {
            FrameThreads.Add(Environment.CurrentManagedThreadId);
            link.Transmit(frame);
        }

        public void OnTimer(Instant now)
        {
            if (now < Deadline) return;
            TimerThread = Environment.CurrentManagedThreadId;
            TimerRanAt = now;
            Deadline = Instant.Never;
            DeadlineRan.Set();
        }
    }

    [Fact]
    public void A_pollable_device_on_the_system_clock_is_polled_and_never_started()
    {
        using var device = new PollableQueueDevice();
        using var loop = new EventLoop(device);
        loop.Start(new EchoCore(device));

        Assert.True(loop.IsPolling);
        Assert.False(device.Started);
    }

    [Fact]
    public void A_fake_clock_or_a_device_that_cannot_be_polled_gets_the_portable_path()
    {
        using var polled = new PollableQueueDevice();
        using var withFakeClock = new EventLoop(polled, new FakeTimeProvider());
        Assert.False(withFakeClock.IsPolling);

        var (port, _) = Stack.Link.Devices.Memory.MemoryLink.CreatePair();
        using var memory = new EventLoop(port);
        Assert.False(memory.IsPolling);
    }

    [Fact]
    public async Task A_trace_around_a_pollable_device_is_polled_and_records_what_the_loop_received()
    {
        using var device = new PollableQueueDevice();
        var pcap = new MemoryStream();
        using var loop = new EventLoop(new Stack.Link.Devices.Pcap.TracingDevice(device, new Stack.Link.Devices.Pcap.PcapWriter(pcap, leaveOpen: true)));
        loop.Start(new EchoCore(device));
        Assert.True(loop.IsPolling);

        device.Inject(new byte[60]);

        Assert.True(device.Sent.WaitForCount(1, Wait));
        await loop.InvokeAsync(_ => 0).WaitAsync(Wait); // the trace is written on the loop thread, before the core runs
        Assert.Equal(Stack.Link.Devices.Pcap.PcapWriter.GlobalHeaderLength + Stack.Link.Devices.Pcap.PcapWriter.RecordHeaderLength + 60, pcap.Length);
    }

    [Fact]
    public void Decorators_that_cannot_pass_polling_through_get_the_portable_path()
    {
        using var polled = new PollableQueueDevice();
        using var impaired = new EventLoop(new Stack.Link.Devices.Impairment.ImpairedDevice(polled, Stack.Link.Devices.Impairment.ImpairmentSpec.Parse("loss=1%")));
        Assert.False(impaired.IsPolling);

        var (port, _) = Stack.Link.Devices.Memory.MemoryLink.CreatePair();
        using var traced = new EventLoop(new Stack.Link.Devices.Pcap.TracingDevice(port, new Stack.Link.Devices.Pcap.PcapWriter(new MemoryStream())));
        Assert.False(traced.IsPolling);
    }

    [Fact]
    public async Task Frames_are_handled_on_the_loop_thread_in_the_order_they_came()
    {
        using var device = new PollableQueueDevice();
        using var loop = new EventLoop(device);
        var core = new EchoCore(device);
        loop.Start(core);

        for (int i = 0; i < 200; i++) device.Inject([(byte)i, 0, 0, 0]);

        Assert.True(device.Sent.WaitForCount(200, Wait));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (byte)i), device.Sent.Frames.Select(f => f[0]));
        int loopThread = await loop.InvokeAsync(_ => Environment.CurrentManagedThreadId).WaitAsync(Wait);
        Assert.All(await loop.InvokeAsync(_ => core.FrameThreads.ToArray()).WaitAsync(Wait), t => Assert.Equal(loopThread, t));
        Assert.Equal(loopThread, device.ReceiveThread);
    }

    [Fact]
    public async Task Post_and_InvokeAsync_from_many_threads_all_run_on_the_loop_thread_in_each_threads_order()
    {
        using var device = new PollableQueueDevice();
        using var loop = new EventLoop(device);
        loop.Start(new EchoCore(device));
        var ran = new List<(int Poster, int Index)>();

        var posters = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (int k = 0; k < 500; k++)
            {
                int i = k;
                if (i % 2 == 0) loop.Post(_ => ran.Add((p, i)));
                else Assert.True(await loop.InvokeAsync(_ => { ran.Add((p, i)); return loop.IsLoopThread; }));
            }
        })).ToArray();
        await Task.WhenAll(posters).WaitAsync(Wait);
        int count = await loop.InvokeAsync(_ => ran.Count).WaitAsync(Wait);

        Assert.Equal(2000, count);
        foreach (var group in ran.GroupBy(r => r.Poster))
            Assert.Equal(Enumerable.Range(0, 500), group.Select(r => r.Index));
    }

    [Fact]
    public async Task An_exception_in_posted_work_goes_to_the_caller_and_the_loop_keeps_serving()
    {
        using var device = new PollableQueueDevice();
        using var loop = new EventLoop(device);
        loop.Start(new EchoCore(device));

        await Assert.ThrowsAsync<InvalidOperationException>(() => loop.InvokeAsync<int>(_ => throw new InvalidOperationException("boom")));
        Assert.Equal(42, await loop.InvokeAsync(_ => 42).WaitAsync(Wait));
    }

    [Fact]
    public async Task The_cores_deadline_runs_on_the_loop_thread_and_not_before_it()
    {
        using var device = new PollableQueueDevice();
        using var loop = new EventLoop(device);
        var core = new EchoCore(device);
        loop.Start(core);

        var deadline = await loop.InvokeAsync(now => core.Deadline = now + TimeSpan.FromMilliseconds(20)).WaitAsync(Wait);

        Assert.True(core.DeadlineRan.Wait(Wait));
        Assert.True(core.TimerRanAt >= deadline);
        Assert.Equal(await loop.InvokeAsync(_ => Environment.CurrentManagedThreadId), core.TimerThread);
    }

    [Fact]
    public unsafe void Dispose_from_the_loop_thread_returns_and_the_descriptor_stays_open_until_the_loop_lets_go()
    {
        var device = new PollableQueueDevice();
        var loop = new EventLoop(device);
        loop.Start(new EchoCore(device));
        var disposed = new ManualResetEventSlim();
        short revents = -1;

        loop.Post(_ =>
        {
            loop.Dispose();
            // Disposed, but the loop still holds its reference: the eventfd is open (no POLLNVAL) until it returns.
            var pfd = new Stack.Link.Devices.LibC.PollFd { Fd = (int)device.PollHandle!.DangerousGetHandle(), Events = Stack.Link.Devices.LibC.POLLIN };
            Stack.Link.Devices.LibC.Poll(&pfd, 1, 0);
            revents = pfd.Revents;
            disposed.Set();
        });

        Assert.True(disposed.Wait(Wait));
        Assert.Equal(0, revents & Stack.Link.Devices.LibC.POLLNVAL);
        // The loop lets go of its reference when its thread leaves the run loop, just after the posted work
        // returns: only then is the descriptor closed (IsClosed turns true at the last release).
        Assert.True(SpinWait.SpinUntil(() => device.PollHandle!.IsClosed, Wait));
        var after = new ManualResetEventSlim();
        loop.Post(_ => after.Set()); // posting to a stopped loop is harmless, and nothing runs
        Assert.False(after.IsSet);
    }
}

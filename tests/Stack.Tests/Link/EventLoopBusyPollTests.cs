using System.Threading.Tasks.Sources;
using Stack.Link.Devices;
using Stack.Link.Loop;
using Stack.Link.Time;
using Stack.Sockets;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

/// <summary>
/// The polling loop's wake-ups: with a busy-poll budget it handles frames without ever sleeping in poll(2), without
/// one it sleeps, and code awaiting on the loop answers a frame in the same wake-up the frame came in (its
/// continuation goes through the loop's own inbox, never through another thread). Counted, not timed: the loop's
/// <see cref="EventLoop.Sleeps"/> says how often it slept.
/// </summary>
public sealed class EventLoopBusyPollTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>Sends every frame back, and lets a test hook each frame.</summary>
    private sealed class EchoCore(IFrameTransmitter link) : ILinkProtocol
    {
        public Action<byte[]>? OnEachFrame;
        public Instant NextDeadline => Instant.Never;

        public void Start(Instant now)
        {
        }

        public void OnFrame(ReadOnlySpan<byte> frame, Instant now)
        {
            if (OnEachFrame is { } hook) hook(frame.ToArray());
            else link.Transmit(frame);
        }

        public void OnTimer(Instant now)
        {
        }
    }

    [Fact]
    public async Task With_a_budget_longer_than_the_test_frames_and_posts_are_handled_without_a_single_sleep()
    {
        using var device = new PollableQueueDevice();
        using var loop = new EventLoop(device) { BusyPoll = TimeSpan.FromMinutes(10) };
        loop.Start(new EchoCore(device));
        Assert.True(loop.IsPolling);

        for (int i = 0; i < 20; i++)
        {
            device.Inject([(byte)i, 0, 0, 0]);
            Assert.True(device.Sent.WaitForCount(i + 1, Wait));
        }
        Assert.Equal(7, await loop.InvokeAsync(_ => 7).WaitAsync(Wait));

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (byte)i), device.Sent.Frames.Select(f => f[0]));
        Assert.Equal(0, loop.Sleeps);
        Assert.True(loop.BusyPollHits >= 1);
        Assert.True(loop.BusyPollSpins >= loop.BusyPollHits);
    }

    [Fact]
    public async Task Off_by_default_the_loop_never_spins_and_sleeps_when_idle()
    {
        using var device = new PollableQueueDevice();
        using var loop = new EventLoop(device);
        loop.Start(new EchoCore(device));

        device.Inject(new byte[60]);
        Assert.True(device.Sent.WaitForCount(1, Wait));
        await loop.InvokeAsync(_ => 0).WaitAsync(Wait);

        Assert.Equal(TimeSpan.Zero, loop.BusyPoll);
        Assert.True(SpinWait.SpinUntil(() => loop.Sleeps > 0, Wait));
        Assert.Equal(0, loop.BusyPollSpins);
    }

    /// <summary>
    /// As a service on the loop receives: it awaits a socket's receive operation (the same
    /// <see cref="LoopOperation{TResult}"/> the sockets use, continuations run asynchronously), a frame completes it,
    /// and the continuation sends the reply. It must run on the loop thread with the loop's context, and before the
    /// loop sleeps again: same wake-up, no other thread, no eventfd.
    /// </summary>
    [Fact]
    public async Task A_continuation_awaiting_on_the_loop_replies_in_the_wake_up_of_the_frame_that_completed_it()
    {
        using var device = new PollableQueueDevice();
        using var loop = new EventLoop(device);
        var core = new EchoCore(device);
        var receive = new Receive();
        long sleepsAtFrame = -1;
        var replied = new TaskCompletionSource<(long Sleeps, bool OnLoop, bool Context)>(TaskCreationOptions.RunContinuationsAsynchronously);
        core.OnEachFrame = frame =>
        {
            sleepsAtFrame = loop.Sleeps;
            receive.Succeed(frame.Length);
        };
        Task? serving = null;
        loop.Start(core, _ => serving = Serve());

        async Task Serve()
        {
            int n = await receive.Await(loop, (_, _, _) => { }, CancellationToken.None);
            device.Transmit(new byte[n]);
            replied.SetResult((loop.Sleeps, loop.IsLoopThread, SynchronizationContext.Current == loop.SynchronizationContext));
        }

        // Let the loop go to sleep first, so the frame is what wakes it.
        Assert.True(SpinWait.SpinUntil(() => loop.Sleeps > 0, Wait));
        device.Inject(new byte[60]);

        var (sleeps, onLoop, context) = await replied.Task.WaitAsync(Wait);
        await serving!.WaitAsync(Wait);
        Assert.True(onLoop);
        Assert.True(context);
        Assert.Equal(sleepsAtFrame, sleeps);
        Assert.Equal(60, Assert.Single(device.Sent.Frames).Length);
    }
    /// <summary>A receive as the sockets' operations are made (<see cref="LoopOperation{TResult}"/>), with no socket behind it.</summary>
    private sealed class Receive : LoopOperation<int>
    {
        protected override void Clear() { }
        protected override void Release() { }
    }
}

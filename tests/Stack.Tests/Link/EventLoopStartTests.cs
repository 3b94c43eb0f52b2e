using Stack.Link.Devices;
using Stack.Link.Loop;
using Stack.Link.Time;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

/// <summary>
/// The loop's two-step start: the configure step runs on the loop thread before the core starts (announces
/// itself) and before any frame is handled, and what it posts runs before the first frame too.
/// </summary>
public sealed class EventLoopStartTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>A core that writes down what happened to it, in order, with the thread.</summary>
    private sealed class RecordingCore(List<string> events) : ILinkProtocol
    {
        public readonly ManualResetEventSlim GotFrame = new();

        public Instant NextDeadline => Instant.Never;

        public void Start(Instant now) => events.Add("core start");

        public void OnFrame(ReadOnlySpan<byte> frame, Instant now)
        {
            events.Add($"frame {frame[0]}");
            GotFrame.Set();
        }

        public void OnTimer(Instant now)
        {
        }
    }

    [Fact]
    public void A_frame_already_waiting_is_handled_only_after_configure_what_it_posted_and_the_cores_start()
    {
        using var device = new PollableQueueDevice();
        device.Inject([7, 0, 0, 0]);
        using var loop = new EventLoop(device);
        var events = new List<string>();
        var core = new RecordingCore(events);

        loop.Start(core, configure: _ =>
        {
            events.Add(loop.IsLoopThread ? "configure on the loop" : "configure elsewhere");
            loop.Post(_ => events.Add("posted by configure"));
            Assert.Same(loop.SynchronizationContext, SynchronizationContext.Current);
        });

        Assert.True(core.GotFrame.Wait(Wait));
        Assert.Equal(["configure on the loop", "posted by configure", "core start", "frame 7"], events);
    }

    [Fact]
    public async Task On_the_portable_path_too_configure_and_its_posts_run_before_the_core_starts()
    {
        using var device = new PollableQueueDevice();
        using var loop = new EventLoop(device, new Microsoft.Extensions.Time.Testing.FakeTimeProvider());
        var events = new List<string>();

        loop.Start(new RecordingCore(events), configure: _ =>
        {
            events.Add("configure");
            loop.Post(_ => events.Add("posted by configure"));
        });

        Assert.Equal(["configure", "posted by configure", "core start"], await loop.InvokeAsync(_ => events.ToArray()).WaitAsync(Wait));
        Assert.False(loop.IsPolling);
        Assert.True(device.Started);
    }

    [Fact]
    public void An_exception_in_configure_comes_out_of_Start_and_the_core_never_starts()
    {
        var device = new PollableQueueDevice();
        device.Inject([1, 0, 0, 0]);
        var loop = new EventLoop(device);
        var events = new List<string>();

        var e = Assert.Throws<InvalidOperationException>(() => loop.Start(new RecordingCore(events), configure: _ => throw new InvalidOperationException("port taken")));
        loop.Dispose();

        Assert.Equal("port taken", e.Message);
        Assert.Empty(events);
    }
}

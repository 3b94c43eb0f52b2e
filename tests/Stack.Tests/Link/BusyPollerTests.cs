using System.Runtime.InteropServices;
using Stack.Link.Devices;
using Stack.Link.Loop;
using Stack.Link.Time;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

/// <summary>
/// The busy-poll spin on its own, with a scripted device and a clock that moves only when the device is read:
/// it spins at most its budget and then lets the loop sleep, and a frame or posted work that comes meanwhile
/// ends it at once. No timing: every read advances the fake clock by a fixed step.
/// </summary>
public sealed class BusyPollerTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMicroseconds(10);

    /// <summary>The loop's side: a clock and a flag for posted work.</summary>
    private sealed class FakeLoop : IBusyPollLoop
    {
        public Instant Now { get; set; } = Instant.FromMilliseconds(1);
        public bool HasWork { get; set; }
    }

    /// <summary>
    /// A device whose reads answer from a script (frames per read; 0 when the script runs out), each read moving
    /// the loop's clock on by <see cref="Step"/>; <see cref="WorkAtRead"/> posts work to the loop during that read.
    /// </summary>
    private sealed class ScriptedDevice(FakeLoop loop, params int[] script) : IPollableDevice
    {
        public int Reads { get; private set; }
        public int WorkAtRead { get; init; } = -1;
        public string Name => "scripted";
        public int Mtu => 1500;
        public SafeHandle? PollHandle => null;

        public int ReceiveBatch(IFrameSink sink, int max)
        {
            int frames = Reads < script.Length ? script[Reads] : 0;
            if (Reads == WorkAtRead) loop.HasWork = true;
            Reads++;
            loop.Now += Step;
            for (int i = 0; i < frames && i < max; i++) sink.OnFrame(new byte[60]);
            return frames;
        }

        public void Start(IFrameSink sink) => throw new InvalidOperationException("a polled device is never started");
        public void Transmit(ReadOnlySpan<byte> frame) { }
        public void Dispose() { }
    }

    private static BusyPoller Poller(int microseconds) => new() { Budget = TimeSpan.FromMicroseconds(microseconds) };

    [Fact]
    public void With_nothing_coming_it_spins_its_budget_and_no_longer_then_lets_the_loop_sleep()
    {
        var loop = new FakeLoop();
        var device = new ScriptedDevice(loop);
        var poller = Poller(50);
        var start = loop.Now;

        Assert.Equal(0, poller.Spin(device, new FrameRecorder(), 32, loop, Instant.Never));

        // Reads at 0, 10, 20, 30, 40 µs; the clock reads 50 after the fifth: the budget is spent.
        Assert.Equal(5, device.Reads);
        Assert.Equal(start + TimeSpan.FromMicroseconds(50), loop.Now);
        Assert.Equal(1, poller.Spins);
        Assert.Equal(0, poller.Hits);
    }

    [Fact]
    public void A_frame_that_comes_during_the_spin_is_handled_there_and_ends_it()
    {
        var loop = new FakeLoop();
        var device = new ScriptedDevice(loop, 0, 0, 1);
        var sink = new FrameRecorder();
        var poller = Poller(1000);

        Assert.Equal(1, poller.Spin(device, sink, 32, loop, Instant.Never));

        Assert.Equal(3, device.Reads);
        Assert.Single(sink.Frames);
        Assert.Equal(1, poller.Hits);
    }

    [Fact]
    public void Work_posted_to_the_loop_ends_the_spin_before_the_next_read()
    {
        var loop = new FakeLoop();
        var device = new ScriptedDevice(loop) { WorkAtRead = 1 };
        var poller = Poller(1000);

        Assert.Equal(0, poller.Spin(device, new FrameRecorder(), 32, loop, Instant.Never));

        Assert.Equal(2, device.Reads);
        Assert.Equal(1, poller.Hits);
    }

    [Fact]
    public void The_cores_deadline_ends_the_spin_before_the_budget_does()
    {
        var loop = new FakeLoop();
        var device = new ScriptedDevice(loop);
        var poller = Poller(1000);

        Assert.Equal(0, poller.Spin(device, new FrameRecorder(), 32, loop, loop.Now + TimeSpan.FromMicroseconds(25)));

        Assert.Equal(3, device.Reads);
        Assert.Equal(0, poller.Hits);
    }

    [Fact]
    public void A_frame_already_waiting_is_read_even_when_the_deadline_has_passed()
    {
        var loop = new FakeLoop();
        var device = new ScriptedDevice(loop, 2);
        var poller = Poller(50);

        Assert.Equal(2, poller.Spin(device, new FrameRecorder(), 32, loop, loop.Now - TimeSpan.FromMilliseconds(1)));
        Assert.Equal(1, device.Reads);
    }

    [Fact]
    public void A_device_that_is_gone_ends_the_spin_and_says_so_without_counting_a_hit()
    {
        var loop = new FakeLoop();
        var device = new ScriptedDevice(loop, 0, IPollableDevice.Gone);
        var poller = Poller(1000);

        Assert.Equal(IPollableDevice.Gone, poller.Spin(device, new FrameRecorder(), 32, loop, Instant.Never));
        Assert.Equal(0, poller.Hits);
    }

    [Fact]
    public void Off_by_default_and_a_negative_budget_is_refused()
    {
        var poller = new BusyPoller();
        Assert.False(poller.IsOn);
        Assert.Equal(TimeSpan.Zero, poller.Budget);
        Assert.Throws<ArgumentOutOfRangeException>(() => poller.Budget = TimeSpan.FromTicks(-1));
        poller.Budget = TimeSpan.FromMicroseconds(50);
        Assert.True(poller.IsOn);
    }
}

using Stack.Link.Devices;
using Stack.Link.Devices.Tap;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

public sealed class TapDeviceTests : KernelNeighbourTests
{
    protected override ILinkDevice Open(TestNamespace ns) => TapDevice.Open("tap0", netns: ns.Name);

    protected override string BridgePort => "tap0";

    [Fact]
    public void Opening_in_a_namespace_that_does_not_exist_says_how_to_make_it()
    {
        var e = Assert.Throws<LinkDeviceException>(() => TapDevice.Open("tap0", netns: "stk-no-such-namespace"));
        Assert.Contains("scripts/tap-setup up --netns stk-no-such-namespace", e.Message);
    }

    [SkippableFact]
    public void A_second_open_of_the_same_tap_is_refused_as_busy()
    {
        TapRequirement.Check();
        using var ns = TestNamespace.Create();
        using var first = TapDevice.Open("tap0", netns: ns.Name);

        var e = Assert.Throws<LinkDeviceException>(() => TapDevice.Open("tap0", netns: ns.Name));

        Assert.Equal(16, e.Errno); // EBUSY
        Assert.Contains("Another process has it open", e.Message);
    }

    [SkippableFact]
    public void Dispose_stops_the_reader_within_its_poll_timeout_and_transmit_then_throws()
    {
        TapRequirement.Check();
        using var ns = TestNamespace.Create();
        var tap = TapDevice.Open("tap0", netns: ns.Name);
        tap.Start(new FrameRecorder());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        tap.Dispose();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"Dispose took {clock.Elapsed}");
        Assert.Throws<ObjectDisposedException>(() => tap.Transmit(new byte[60]));
        using var again = TapDevice.Open("tap0", netns: ns.Name); // the fd is closed: the TAP is free again
    }
}

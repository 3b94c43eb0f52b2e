using Stack.IP;
using Stack.Link.Devices.Impairment;
using Stack.Sockets.Diagnostics;
using Stack.Sockets.Hosting;
using Stack.Tests.Sockets;

namespace Stack.Tests.Diagnostics;

/// <summary>The catalog of a running instance, read on its loop as the control socket reads it; A's link goes through an impairment that passes everything.</summary>
public sealed class StackInstanceCountersTests() : TwoStacks(deviceA: d => new ImpairedDevice(d, new ImpairmentSpec { Seed = 1 }))
{
    private static Task<Dictionary<string, long>> Read(StackInstance stack) =>
        stack.Loop.InvokeAsync(_ => StackCounters.Read(stack).ToDictionary(c => c.Name, c => c.Value));

    [Fact]
    public async Task A_ping_shows_in_the_instance_counters_the_impairment_and_the_loop()
    {
        using var pinger = new Pinger(StackA, identifier: 9);
        var rtt = await pinger.PingAsync(IpAddress.Parse("192.0.2.3"), 1, 56, TimeSpan.FromSeconds(10)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotNull(rtt);
        var a = await Read(StackA);
        var b = await Read(StackB);
        Assert.Equal(1, a["IcmpOutEchos"]);
        Assert.Equal(1, a["IcmpInEchoReps"]);
        Assert.Equal(1, b["IcmpInEchos"]);
        // Every frame A sent (IP packets, and ARP besides) and got went through the impairment, none lost; B's link
        // is plain (no device counters).
        Assert.True(a["StackImpairOutOffered"] > a["StackIpPacketsSent"], $"{a["StackImpairOutOffered"]} frames out, {a["StackIpPacketsSent"]} IP packets");
        Assert.Equal(a["StackIpFramesReceived"], a["StackImpairInOffered"]);
        Assert.Equal(0, a["StackImpairOutLost"] + a["StackImpairInLost"]);
        Assert.DoesNotContain(b.Keys, k => k.StartsWith("StackImpair", StringComparison.Ordinal) || k.StartsWith("StackTap", StringComparison.Ordinal));
        Assert.True(b["StackLoopFramesHandled"] >= 2);
        Assert.Contains("StackDnsUdpQueries", a.Keys);
    }
}

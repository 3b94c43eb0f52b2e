using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Stack.Apps.Services;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Hosting;

namespace Stack.Tests.Services;

/// <summary>
/// `stack serve` on SIGTERM (the seed's boundary case, issue 13): disposing the <see cref="ServiceHost"/> ends an
/// open connection with a FIN, not a RST, and waits for it to be acknowledged only for a bounded time.
/// </summary>
public sealed class ServiceShutdownTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly StackInstance _a;
    private readonly StackInstance _b;
    private readonly ServiceHost _services;

    public ServiceShutdownTests()
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        _a = StackInstance.Start("a", linkA, Options(2));
        ServiceHost? services = null;
        _b = StackInstance.Start("b", linkB, Options(3), configure: s => services = ServiceHost.Start(s, ["echo"]));
        _services = services!;
    }

    public void Dispose()
    {
        _services.Dispose();
        _a.Dispose();
        _b.Dispose();
    }

    private static IpHostOptions Options(byte last) => new()
    {
        Mac = new MacAddress(0x0200_0000_0000UL | last),
        Addresses = [InterfaceAddress.Parse($"192.0.2.{last}/24"), InterfaceAddress.Parse($"2001:db8::{last}/64")],
    };

    /// <summary>An echo connection from a, known to be accepted and served on b (one round trip).</summary>
    private async Task<StackSocket> Echoing(bool v6)
    {
        var address = IPAddress.Parse(v6 ? "2001:db8::3" : "192.0.2.3");
        var socket = StackSocket.Create(_a, address.AddressFamily, SocketType.Stream);
        await socket.ConnectAsync(new IPEndPoint(address, EchoService.WellKnownPort)).AsTask().WaitAsync(Patience);
        await socket.SendAsync(new byte[] { 1, 2, 3 }).AsTask().WaitAsync(Patience);
        var buffer = new byte[3];
        for (int got = 0; got < 3;) got += await socket.ReceiveAsync(buffer.AsMemory(got)).AsTask().WaitAsync(Patience);
        return socket;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stopping_ends_an_open_connection_with_a_FIN(bool v6)
    {
        using var client = await Echoing(v6);
        var stopped = Stopwatch.StartNew();
        await _services.DisposeAsync().AsTask().WaitAsync(Patience);
        Assert.True(stopped.Elapsed < _services.DrainTime, "the FIN was acknowledged at once: no wait for the bound");
        Assert.Equal(0, await client.ReceiveAsync(new byte[10]).AsTask().WaitAsync(Patience)); // End of stream, not ECONNRESET.
        Assert.Equal(0, await _b.Loop.InvokeAsync(_ => _b.Tcp.ClosingCount));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stopping_waits_for_a_peer_that_never_acknowledges_only_for_the_bound(bool v6)
    {
        var client = await Echoing(v6);
        _a.Dispose(); // The peer is gone: b's FIN is never acknowledged.
        _services.DrainTime = TimeSpan.FromMilliseconds(300);
        var stopped = Stopwatch.StartNew();
        await _services.DisposeAsync().AsTask().WaitAsync(Patience);
        // The bound is a timer, which may fire a fraction of a millisecond before the stopwatch reads DrainTime
        // (a CI run measured 299.7 ms for 300); what matters is that the drain waited rather than returned at once.
        Assert.InRange(stopped.Elapsed, _services.DrainTime - TimeSpan.FromMilliseconds(20), Patience);
        Assert.Equal(1, await _b.Loop.InvokeAsync(_ => _b.Tcp.ClosingCount)); // Still FIN-WAIT-1: cut off with the stack.
        client.Dispose();
    }
}

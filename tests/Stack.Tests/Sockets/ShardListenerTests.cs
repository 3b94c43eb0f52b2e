using System.Net;
using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Control;
using Stack.Sockets.Hosting;
using Stack.Tests.Support;

namespace Stack.Tests.Sockets;

/// <summary>
/// A program listening on every shard (<see cref="StackShards.ListenAll"/>), and the control socket saying which shard
/// holds each socket, on the in-memory stand-in for a 2-queue TAP (<see cref="SteeredLink"/>).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ShardListenerTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly WatchedClock _clock = new();
    private readonly SteeredLink _link = new(queues: 2);
    private readonly StackShards _shards;
    private readonly StackInstance _peer;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"stack-shards-{Guid.NewGuid():N}");

    public ShardListenerTests()
    {
        _shards = StackShards.Start(new StackOptions
        {
            Link = StackLink.Queues(_link.Queues),
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24")],
            Mac = new MacAddress(0x0200_0000_0002UL),
            Time = _clock,
        }, queues: 2);
        _peer = StackInstance.Start("peer", _link, new IpHostOptions
        {
            Mac = new MacAddress(0x0200_0000_0001UL),
            Addresses = [InterfaceAddress.Parse("192.0.2.1/24")],
        }, _clock);
    }

    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.2"), 7);

    [Fact]
    public async Task Connections_landing_on_either_queue_are_accepted_by_that_shard_and_come_out_of_one_stream()
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var listener = _shards.ListenAll(new IPEndPoint(IPAddress.Any, 7));
        Assert.Equal(2, listener.Listeners.Count);
        var clients = new List<StackSocket>();
        var accepted = new List<StackSocket>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                _link.Queue = i % 2; // the flow hash puts connection i on queue i mod 2
                var client = StackSocket.Create(_peer, AddressFamily.InterNetwork, SocketType.Stream);
                clients.Add(client);
                await client.ConnectAsync(Server, timeout.Token);
                accepted.Add(await listener.AcceptAsync(timeout.Token));
            }
            Assert.Equal(clients.Select(c => ((IPEndPoint)c.LocalEndPoint!).Port), accepted.Select(a => ((IPEndPoint)a.RemoteEndPoint!).Port));
            var byShard = await Task.WhenAll(_shards.Shards.Select(s => s.Loop.InvokeAsync(_ => (s.Tcp.Statistics.Accepted, s.Tcp.Statistics.HandedOff))));
            Assert.Equal([(2L, 0L), (2L, 0L)], byShard); // each shard took the SYNs of its queue; none went round

            // The socket is the accepting shard's: data flows both ways through it.
            await accepted[1].SendAsync(new byte[] { 42 }, timeout.Token);
            var one = new byte[1];
            Assert.Equal(1, await clients[1].ReceiveAsync(one, timeout.Token));
            Assert.Equal(42, one[0]);
        }
        finally
        {
            foreach (var s in clients.Concat(accepted)) s.Dispose();
        }
    }

    [Fact]
    public async Task Port_0_listens_on_one_port_on_every_shard_and_dispose_closes_them()
    {
        var listener = _shards.ListenAll(new IPEndPoint(IPAddress.Any, 0));
        int port = listener.LocalEndPoint.Port;
        Assert.NotEqual(0, port);
        Assert.All(listener.Listeners, l => Assert.Equal(port, ((IPEndPoint)l.LocalEndPoint!).Port));
        var waiting = listener.AcceptAsync().AsTask();
        listener.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => waiting.WaitAsync(Patience));
        var open = await Task.WhenAll(_shards.Shards.Select(s => s.Loop.InvokeAsync(_ => s.Tcp.Listeners.Count)));
        Assert.All(open, n => Assert.Equal(0, n));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptAsync());
    }

    [Fact]
    public async Task The_control_socket_says_which_shard_holds_each_socket()
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var listener = _shards.ListenAll(new IPEndPoint(IPAddress.Any, 7));
        _link.Queue = 1;
        using var client = StackSocket.Create(_peer, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(Server, timeout.Token);
        using var accepted = await listener.AcceptAsync(timeout.Token);
        string path = Path.Combine(_directory, "s.sock");
        using var server = ControlServer.Start(_shards, "mq", path);

        var reply = await Task.Run(() => ControlClient.Ask(path, ControlProtocol.Sockets));
        Assert.True(reply.Ok, reply.Error);
        var sockets = reply.Sockets!;
        Assert.Equal([0, 1], sockets.Where(s => s.State == "LISTEN").Select(s => s.Shard).Order());
        Assert.Equal(1, Assert.Single(sockets, s => s.State == "ESTAB").Shard);
    }

    public void Dispose()
    {
        _shards.Dispose();
        _peer.Dispose();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}

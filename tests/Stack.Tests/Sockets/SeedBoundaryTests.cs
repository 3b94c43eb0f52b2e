using System.Net;
using System.Net.Sockets;
using Stack.Sockets.Hosting;
using Stack.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;
using Stack.Tests.Support;

namespace Stack.Tests.Sockets;

/// <summary>
/// The boundary cases of the seed's socket chapters (UNP §4.3–§5.16), answered as Linux answers them, through
/// <see cref="StackSocket"/> on two in-memory stacks in both families.
/// </summary>
public sealed class SeedBoundaryTests() : TwoStacks
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private StackSocket ListenOnB(bool v6, int port, int backlog = 8)
    {
        var listener = StackSocket.Create(StackB, Family(v6), SocketType.Stream);
        listener.Bind(new IPEndPoint(Any(v6), port));
        listener.Listen(backlog);
        return listener;
    }

    private async Task<(StackSocket Client, StackSocket Server)> Pair(bool v6, int port)
    {
        using var listener = ListenOnB(v6, port);
        var accepting = listener.AcceptAsync();
        var client = StackSocket.Create(StackA, Family(v6), SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(v6), port)).AsTask().WaitAsync(Patience);
        return (client, await accepting.AsTask().WaitAsync(Patience));
    }

    [Theory]
    [InlineData(false, SocketType.Stream)]
    [InlineData(true, SocketType.Stream)]
    [InlineData(false, SocketType.Dgram)]
    [InlineData(true, SocketType.Dgram)]
    public void Bind_to_port_0_shows_the_chosen_port_at_once(bool v6, SocketType type)
    {
        // §4.4: getsockname right after bind(port 0) returns the port the kernel chose.
        using var socket = StackSocket.Create(StackA, Family(v6), type);
        socket.Bind(new IPEndPoint(A(v6), 0));
        Assert.Equal(A(v6), socket.LocalEndPoint!.Address);
        Assert.InRange(socket.LocalEndPoint.Port, 1024, 65535);
        if (type == SocketType.Stream)
        {
            int chosen = socket.LocalEndPoint.Port;
            socket.Listen(1);
            Assert.Equal(chosen, socket.LocalEndPoint.Port); // listen() keeps the port bind() showed.
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_second_connect_fails_with_IsConnected(bool v6)
    {
        // §4.3: connect() on a connected socket is EISCONN.
        var (client, server) = await Pair(v6, 7100);
        using (client)
        using (server)
        {
            var e = await Assert.ThrowsAsync<StackSocketException>(() => client.ConnectAsync(new IPEndPoint(B(v6), 7100)).AsTask().WaitAsync(Patience));
            Assert.Equal(SocketError.IsConnected, e.SocketErrorCode);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connects_made_at_once_from_many_threads_make_one_connection_and_every_other_call_fails(bool v6)
    {
        // §4.3 for a racing program: connect() while one is in progress is EALREADY, after it EISCONN; none hangs.
        using var listener = ListenOnB(v6, 7101);
        var accepting = listener.AcceptAsync();
        using var client = StackSocket.Create(StackA, Family(v6), SocketType.Stream);
        using var start = new Barrier(4);
        var calls = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            start.SignalAndWait();
            try
            {
                await client.ConnectAsync(new IPEndPoint(B(v6), 7101));
                return SocketError.Success;
            }
            catch (StackSocketException e)
            {
                return e.SocketErrorCode;
            }
        })).ToArray();
        var results = await Task.WhenAll(calls).WaitAsync(Patience);

        Assert.Equal(1, results.Count(r => r == SocketError.Success));
        Assert.All(results.Where(r => r != SocketError.Success), r => Assert.Contains(r, new[] { SocketError.AlreadyInProgress, SocketError.IsConnected }));
        using var server = await accepting.AsTask().WaitAsync(Patience);
        Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Connect_with_no_route_fails_at_once_with_NetworkUnreachable(bool v6)
    {
        // §4.3: no route to the destination: ENETUNREACH from connect() itself, nothing sent. A stack on a /25
        // (a /121) with no gateway has no route to the other half of the documentation range.
        var (link, _) = MemoryLink.CreatePair();
        using var narrow = StackInstance.Start("narrow", link, new IpHostOptions
        {
            Mac = new MacAddress(0x0200_0000_0009UL),
            Addresses = [InterfaceAddress.Parse("192.0.2.9/25"), InterfaceAddress.Parse("2001:db8::9/121")],
        }, Clock);
        using var client = StackSocket.Create(narrow, Family(v6), SocketType.Stream);
        var e = Assert.Throws<StackSocketException>(() => client.Connect(new IPEndPoint(IPAddress.Parse(v6 ? "2001:db8::1:9" : "192.0.2.200"), 80)));
        Assert.Equal(SocketError.NetworkUnreachable, e.SocketErrorCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_the_peers_FIN_a_write_draws_a_RST_then_reads_end_and_writes_fail_with_EPIPE(bool v6)
    {
        // §5.12–§5.13: the server is gone (its FIN came); the client's write is answered with a RST; the client's
        // read gives end of stream (the FIN came first), and its next write fails as Linux's: EPIPE.
        var (client, server) = await Pair(v6, 7101);
        using (client)
        {
            server.Dispose();
            var buffer = new byte[10];
            Assert.Equal(0, await client.ReceiveAsync(buffer).AsTask().WaitAsync(Patience)); // The FIN.
            Assert.Equal(1, await client.SendAsync(new byte[] { 1 }).AsTask().WaitAsync(Patience)); // Draws the RST.
            await Eventually(() => StackA.Loop.InvokeAsync(_ => StackA.Tcp.ConnectionCount == 0));
            Assert.Equal(0, await client.ReceiveAsync(buffer).AsTask().WaitAsync(Patience));
            var e = await Assert.ThrowsAsync<StackSocketException>(() => client.SendAsync(new byte[] { 2 }).AsTask().WaitAsync(Patience));
            Assert.Equal(SocketError.Shutdown, e.SocketErrorCode); // EPIPE (.NET names it Shutdown).
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 3)]
    public async Task The_accept_queue_holds_one_more_than_the_backlog_as_linux(int backlog, int queued)
    {
        // §4.5 as Linux applies the backlog: sk_acceptq_is_full is "more than backlog", so 0 still takes one.
        // The clients beyond are not refused: their handshakes (cookies, once the SYN queue is full) wait for
        // room, as on Linux, where connect() returns on the SYN-ACK whatever the server's queue holds.
        using var listener = ListenOnB(false, 7102, backlog);
        var clients = new List<StackSocket>();
        var connects = new List<Task>();
        for (int i = 0; i < queued + 2; i++)
        {
            var c = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
            clients.Add(c);
            connects.Add(c.ConnectAsync(new IPEndPoint(B(false), 7102)).AsTask());
        }
        await Task.WhenAll(connects).WaitAsync(Patience);
        Func<Task<(int Backlog, int Completed)>> queue = () =>
            StackB.Loop.InvokeAsync(_ => StackB.Tcp.Listeners.Single() is var l ? (l.Backlog, l.CompletedCount) : default);
        await Eventually(async () => (await queue()).Completed == queued);
        Assert.Equal((backlog, queued), await queue());
        foreach (var c in clients) c.Dispose();
    }

    [Fact]
    public async Task An_oversized_or_negative_backlog_is_somaxconn()
    {
        using var big = ListenOnB(false, 7103, 1_000_000);
        using var negative = ListenOnB(true, 7104, -1);
        var backlogs = await StackB.Loop.InvokeAsync(_ => StackB.Tcp.Listeners.Select(l => l.Backlog).ToArray());
        Assert.Equal([Stack.Tcp.TcpListener.SoMaxConn, Stack.Tcp.TcpListener.SoMaxConn], backlogs);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_listener_bound_to_one_address_refuses_SYNs_to_the_others(bool v6)
    {
        // §4.4 as Linux's __inet_lookup_listener matches: a listener bound to .3 does not take a SYN to the same
        // host's .4, which is answered as a closed port (RST, connect() ECONNREFUSED); a wildcard one takes both.
        var (linkC, linkD) = MemoryLink.CreatePair();
        using var c = StackInstance.Start("c", linkC, new IpHostOptions
        {
            Mac = new MacAddress(0x0200_0000_0012UL),
            Addresses = [InterfaceAddress.Parse("192.0.2.12/24"), InterfaceAddress.Parse("2001:db8::12/64")],
        }, Clock);
        using var d = StackInstance.Start("d", linkD, new IpHostOptions
        {
            Mac = new MacAddress(0x0200_0000_0013UL),
            Addresses =
            [
                InterfaceAddress.Parse("192.0.2.13/24"), InterfaceAddress.Parse("192.0.2.14/24"),
                InterfaceAddress.Parse("2001:db8::13/64"), InterfaceAddress.Parse("2001:db8::14/64"),
            ],
        }, Clock);
        var bound = IPAddress.Parse(v6 ? "2001:db8::13" : "192.0.2.13");
        var other = IPAddress.Parse(v6 ? "2001:db8::14" : "192.0.2.14");
        using (var listener = StackSocket.Create(d, Family(v6), SocketType.Stream))
        {
            listener.Bind(new IPEndPoint(bound, 7105));
            listener.Listen(8);
            using var refused = StackSocket.Create(c, Family(v6), SocketType.Stream);
            var e = await Assert.ThrowsAsync<StackSocketException>(() => refused.ConnectAsync(new IPEndPoint(other, 7105)).AsTask().WaitAsync(Patience));
            Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
            Assert.Equal(0, await d.Loop.InvokeAsync(_ => d.Tcp.Listeners.Single().CompletedCount + d.Tcp.Listeners.Single().IncompleteCount));
            using var taken = StackSocket.Create(c, Family(v6), SocketType.Stream);
            await taken.ConnectAsync(new IPEndPoint(bound, 7105)).AsTask().WaitAsync(Patience);
            using var accepted = await listener.AcceptAsync().AsTask().WaitAsync(Patience);
            Assert.Equal(bound, accepted.LocalEndPoint!.Address);
        }
        using var wildcard = StackSocket.Create(d, Family(v6), SocketType.Stream);
        wildcard.Bind(new IPEndPoint(Any(v6), 7106));
        wildcard.Listen(8);
        using var client = StackSocket.Create(c, Family(v6), SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(other, 7106)).AsTask().WaitAsync(Patience);
        using var served = await wildcard.AcceptAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(other, served.LocalEndPoint!.Address);
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(5);
        }
    }
}

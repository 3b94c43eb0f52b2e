using System.IO.Hashing;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Stack.Sockets.Hosting;
using Stack.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Tcp;

namespace Stack.Tests.Sockets;

/// <summary>
/// The stream (TCP) side of <see cref="StackSocket"/>: two stack instances on an in-memory link, on a fake clock
/// that only the TIME_WAIT test moves.
/// </summary>
public sealed class StackSocketStreamTests() : TwoStacks
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private StackSocket ListenOnB(bool v6, int port)
    {
        var listener = StackSocket.Create(StackB, Family(v6), SocketType.Stream);
        listener.Bind(new IPEndPoint(Any(v6), port));
        listener.Listen(8);
        return listener;
    }

    private static async Task<byte[]> ReadToEnd(StackSocket socket)
    {
        var all = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer).AsTask().WaitAsync(Patience)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_corked_reply_leaves_with_the_fin_in_one_segment(bool cork)
    {
        using var listener = ListenOnB(false, 7013);
        listener.Cork = cork; // The accepted socket takes it, as the daytime service's do.
        var accepting = listener.AcceptAsync();
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7013)).AsTask().WaitAsync(Patience);
        var server = await accepting.AsTask().WaitAsync(Patience);
        Assert.Equal(cork, server.Cork);
        long before = await StackB.Loop.InvokeAsync(_ => StackB.Tcp.Statistics.SegmentsSent).WaitAsync(Patience);

        await server.SendAsync(new byte[26]).AsTask().WaitAsync(Patience);
        server.Dispose();

        Assert.Equal(26, (await ReadToEnd(client)).Length);
        long sent = await StackB.Loop.InvokeAsync(_ => StackB.Tcp.Statistics.SegmentsSent).WaitAsync(Patience) - before;
        Assert.Equal(cork ? 1 : 2, sent); // Data and FIN together, or the data and then the FIN.
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_accept_and_echo_a_line_in_both_families(bool v6)
    {
        using var listener = ListenOnB(v6, 7000);
        Assert.Equal(new IPEndPoint(Any(v6), 7000), listener.LocalEndPoint);
        var accepting = listener.AcceptAsync();

        using var client = StackSocket.Create(StackA, Family(v6), SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(v6), 7000)).AsTask().WaitAsync(Patience);
        using var server = await accepting.AsTask().WaitAsync(Patience);

        Assert.True(client.Connected);
        Assert.Equal(new IPEndPoint(B(v6), 7000), client.RemoteEndPoint);
        Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
        Assert.Equal(A(v6), client.LocalEndPoint!.Address);

        await client.SendAsync(Encoding.ASCII.GetBytes("hello\n"));
        var buffer = new byte[100];
        int n = await server.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
        await server.SendAsync(buffer.AsMemory(0, n));
        n = await client.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal("hello\n", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_to_a_closed_port_is_refused_at_once(bool v6)
    {
        using var client = StackSocket.Create(StackA, Family(v6), SocketType.Stream);
        var started = StackA.Loop.Now;
        var e = await Assert.ThrowsAsync<StackSocketException>(() => client.ConnectAsync(new IPEndPoint(B(v6), 4444)).AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        // The clock stood still: no SYN was retransmitted and no timer ran out; B's RST answered the first SYN.
        Assert.Equal(started, StackA.Loop.Now);

        var sync = StackSocket.Create(StackA, Family(v6), SocketType.Stream);
        var e2 = Assert.Throws<StackSocketException>(() => sync.Connect(new IPEndPoint(B(v6), 4444)));
        Assert.Equal(SocketError.ConnectionRefused, e2.SocketErrorCode);
    }

    [Fact]
    public async Task Half_close_lets_the_peer_finish_its_reply()
    {
        using var listener = ListenOnB(false, 7001);
        var serving = Task.Run(async () =>
        {
            using var s = await listener.AcceptAsync();
            var request = await ReadToEnd(s); // until the client's FIN
            await s.SendAsync(Encoding.ASCII.GetBytes($"got {request.Length} bytes"));
        });
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        client.Connect(new IPEndPoint(B(false), 7001));
        client.Send(new byte[10_000]);
        client.Shutdown(SocketShutdown.Send);
        Assert.Throws<StackSocketException>(() => client.Send([1]));

        var reply = await ReadToEnd(client);
        Assert.Equal("got 10000 bytes", Encoding.ASCII.GetString(reply));
        await serving.WaitAsync(Patience);
    }

    [Fact]
    public async Task Linger_zero_close_resets_the_connection()
    {
        using var listener = ListenOnB(false, 7002);
        var accepting = listener.AcceptAsync();
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7002));
        var server = await accepting.AsTask().WaitAsync(Patience);

        var pending = client.ReceiveAsync(new byte[10]);
        server.LingerState = new LingerOption(true, 0);
        server.Dispose();

        var e = await Assert.ThrowsAsync<StackSocketException>(() => pending.AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        Assert.Equal(SocketError.ConnectionReset, (SocketError)client.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error));
    }

    [Fact]
    public Task Stream_view_carries_a_megabyte_both_ways_bit_exact() => StreamViewRoundTrip(7003);

    private async Task StreamViewRoundTrip(int port)
    {
        using var listener = ListenOnB(true, port);
        var echoing = Task.Run(async () =>
        {
            using var s = await listener.AcceptAsync();
            await using var stream = s.GetStream();
            await stream.CopyToAsync(stream); // echo until EOF
            s.Shutdown(SocketShutdown.Send);
        });

        var data = new byte[1 << 20];
        new Random(5).NextBytes(data);
        var socket = StackSocket.Create(StackA, AddressFamily.InterNetworkV6, SocketType.Stream);
        await socket.ConnectAsync(new IPEndPoint(B(true), port));
        await using var client = socket.GetStream(ownsSocket: true);
        var reading = Task.Run(async () =>
        {
            var back = new MemoryStream();
            await client.CopyToAsync(back);
            return back.ToArray();
        });
        for (int i = 0; i < data.Length; i += 50_000) client.Write(data, i, Math.Min(50_000, data.Length - i));
        client.Flush();
        socket.Shutdown(SocketShutdown.Send);

        byte[] received;
        try
        {
            received = await reading.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            var l = socket.LocalEndPoint!;
            var r = socket.RemoteEndPoint!;
            var tl = new TcpEndPoint(IpAddress.FromIPAddress(l.Address), (ushort)l.Port);
            var tr = new TcpEndPoint(IpAddress.FromIPAddress(r.Address), (ushort)r.Port);
            string D(StackInstance st, TcpEndPoint x, TcpEndPoint y) => st.Loop.InvokeAsync(_ =>
            {
                var c = st.Tcp.Find(x, y);
                return c is null ? "gone" : $"{c.State} una={c.SndUna} nxt={c.SndNxt} rcv={c.RcvNxt} readable={c.Readable} unacked={c.Unacknowledged} wnd={c.SendWindow} rto={c.Rto} canR={c.CanRead} canW={c.CanWrite} retx={st.Tcp.Statistics.Retransmissions}";
            }).GetAwaiter().GetResult();
            throw new TimeoutException($"a: {D(StackA, tl, tr)}\nb: {D(StackB, tr, tl)}");
        }
        Assert.Equal(XxHash64.HashToUInt64(data), XxHash64.HashToUInt64(received));
        Assert.Equal(data.Length, received.Length);
        await echoing.WaitAsync(Patience);
    }

    [Fact]
    public async Task Completions_never_run_on_the_loop_thread()
    {
        using var listener = ListenOnB(false, 7004);
        var accepted = Task.Run(async () =>
        {
            var s = await listener.AcceptAsync();
            Assert.False(StackB.Loop.IsLoopThread);
            return s;
        });
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7004));
        Assert.False(StackA.Loop.IsLoopThread);
        using var server = await accepted.WaitAsync(Patience);

        var receiving = Task.Run(async () =>
        {
            int n = await server.ReceiveAsync(new byte[10]);
            return (n, onLoop: StackB.Loop.IsLoopThread);
        });
        await client.SendAsync(new byte[3]);
        Assert.False(StackA.Loop.IsLoopThread);
        var (got, onLoop) = await receiving.WaitAsync(Patience);
        Assert.Equal(3, got);
        Assert.False(onLoop);
    }

    [Fact]
    public async Task A_server_awaiting_on_the_loop_resumes_on_the_loop_and_its_sync_calls_throw()
    {
        using var listener = ListenOnB(false, 7010);
        var receiving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var served = new TaskCompletionSource<(bool Accept, bool Receive, bool Send, Exception? Sync)>(TaskCreationOptions.RunContinuationsAsynchronously);
        // As ServiceHost runs a service: started from inside the loop, whose context is installed there.
        StackB.Loop.Post(now => _ = Serve());

        async Task Serve()
        {
            try
            {
                using var s = await listener.AcceptAsync();
                bool accept = StackB.Loop.IsLoopThread;
                var buffer = new byte[10];
                receiving.SetResult();
                int n = await s.ReceiveAsync(buffer);
                bool receive = StackB.Loop.IsLoopThread;
                await s.SendAsync(buffer.AsMemory(0, n));
                bool send = StackB.Loop.IsLoopThread;
                var sync = Record.Exception(() => s.Receive(buffer));
                served.SetResult((accept, receive, send, sync));
            }
            catch (Exception e)
            {
                served.TrySetException(e);
            }
        }

        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7010)).AsTask().WaitAsync(Patience);
        await receiving.Task.WaitAsync(Patience);
        await client.SendAsync(Encoding.ASCII.GetBytes("abc"));
        var reply = new byte[10];
        int got = await client.ReceiveAsync(reply).AsTask().WaitAsync(Patience);

        Assert.Equal("abc", Encoding.ASCII.GetString(reply, 0, got));
        var (accept, receive, send, sync) = await served.Task.WaitAsync(Patience);
        Assert.True(accept);
        Assert.True(receive);
        Assert.True(send);
        Assert.Contains("event loop", Assert.IsType<InvalidOperationException>(sync).Message);
    }

    [Fact]
    public async Task On_the_loop_a_call_that_can_complete_at_once_completes_synchronously()
    {
        using var listener = ListenOnB(false, 7011);
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7011)).AsTask().WaitAsync(Patience);
        await client.SendAsync(Encoding.ASCII.GetBytes("xyz"));
        using var server = await listener.AcceptAsync().AsTask().WaitAsync(Patience);
        var buffer = new byte[10];
        await WhenReadable(StackB, server, 3).WaitAsync(Patience); // so a receive there has data at once

        var (receiveDone, sendDone, n) = await StackB.Loop.InvokeAsync(_ =>
        {
            var receive = server.ReceiveAsync(buffer).AsTask();
            var send = server.SendAsync(buffer.AsMemory(0, 3)).AsTask();
            return (receive.IsCompletedSuccessfully, send.IsCompletedSuccessfully, receive.IsCompletedSuccessfully ? receive.Result : -1);
        }).WaitAsync(Patience);

        Assert.True(receiveDone);
        Assert.True(sendDone);
        Assert.Equal(3, n);
    }

    /// <summary>
    /// Completes once <paramref name="socket"/>'s connection holds at least <paramref name="bytes"/> unread bytes,
    /// told by the connection's own events (the socket's hook is kept and called first, then put back).
    /// </summary>
    private static Task WhenReadable(StackInstance stack, StackSocket socket, int bytes)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stack.Loop.Post(_ =>
        {
            var c = socket.Connection!;
            if (c.Readable >= bytes)
            {
                ready.SetResult();
                return;
            }
            var socketsHook = c.Notify;
            c.Notify = (connection, events) =>
            {
                socketsHook?.Invoke(connection, events);
                if (connection.Readable < bytes) return;
                connection.Notify = socketsHook;
                ready.TrySetResult();
            };
        });
        return ready.Task;
    }

    [Fact]
    public async Task A_cancelled_receive_loses_nothing_and_a_cancelled_accept_ends()
    {
        using var listener = ListenOnB(false, 7005);
        // Each call is posted to the loop before it returns, and its cancellation after it: cancelling once the
        // call has returned always finds it waiting in line.
        using (var cts = new CancellationTokenSource())
        {
            var accept = listener.AcceptAsync(cts.Token).AsTask();
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accept.WaitAsync(Patience));
        }
        var accepting = listener.AcceptAsync();
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7005));
        using var server = await accepting.AsTask().WaitAsync(Patience);

        using (var cts = new CancellationTokenSource())
        {
            var receive = server.ReceiveAsync(new byte[10], cts.Token).AsTask();
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive.WaitAsync(Patience));
        }
        await client.SendAsync(Encoding.ASCII.GetBytes("late"));
        var buffer = new byte[10];
        int n = await server.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal("late", Encoding.ASCII.GetString(buffer, 0, n));

        server.ReceiveTimeout = 100;
        var armed = Clock.NextTimer();
        var timed = Task.Run(() => server.Receive(buffer));
        await armed.WaitAsync(Patience); // the timeout runs on the stacks' clock
        Clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(timed.IsCompleted);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var e = await Assert.ThrowsAsync<StackSocketException>(() => timed.WaitAsync(Patience));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
    }

    [Fact]
    public async Task Accepts_waiting_together_get_their_own_connections_and_a_reused_accept_leaves_earlier_sockets_alone()
    {
        // A listener reuses one accept operation: a second accept made while the first waits gets another, and an
        // accept made after a result is read reuses it without touching the socket that result was.
        using var listener = ListenOnB(false, 7009);
        var first = listener.AcceptAsync().AsTask();
        var second = listener.AcceptAsync().AsTask();
        var clients = new List<StackSocket>();
        for (int i = 0; i < 3; i++) clients.Add(StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream));
        try
        {
            await clients[0].ConnectAsync(new IPEndPoint(B(false), 7009)).AsTask().WaitAsync(Patience);
            await clients[1].ConnectAsync(new IPEndPoint(B(false), 7009)).AsTask().WaitAsync(Patience);
            using var a = await first.WaitAsync(Patience);
            using var b = await second.WaitAsync(Patience);
            Assert.Equal(clients[0].LocalEndPoint, a.RemoteEndPoint);
            Assert.Equal(clients[1].LocalEndPoint, b.RemoteEndPoint);

            var third = listener.AcceptAsync().AsTask();
            await clients[2].ConnectAsync(new IPEndPoint(B(false), 7009)).AsTask().WaitAsync(Patience);
            using var c = await third.WaitAsync(Patience);
            Assert.Equal(clients[2].LocalEndPoint, c.RemoteEndPoint);

            var buffer = new byte[10];
            foreach (var (server, client, text) in new[] { (a, clients[0], "one"), (b, clients[1], "two"), (c, clients[2], "three") })
            {
                await server.SendAsync(Encoding.ASCII.GetBytes(text));
                int n = await client.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
                Assert.Equal(text, Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    [Fact]
    public async Task Close_fails_a_waiting_receive_with_operation_aborted()
    {
        using var listener = ListenOnB(false, 7006);
        var accepting = listener.AcceptAsync();
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7006));
        using var server = await accepting.AsTask().WaitAsync(Patience);

        var pending = client.ReceiveAsync(new byte[10]);
        client.Dispose();
        var e = await Assert.ThrowsAsync<StackSocketException>(() => pending.AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.OperationAborted, e.SocketErrorCode);
        Assert.Equal(0, await server.ReceiveAsync(new byte[10]).AsTask().WaitAsync(Patience)); // the client's FIN
    }

    [Fact]
    public async Task The_side_that_closes_first_passes_through_TIME_WAIT_for_two_MSL()
    {
        using var listener = ListenOnB(false, 7007);
        var accepting = listener.AcceptAsync();
        var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7007)).AsTask().WaitAsync(Patience);
        using var server = await accepting.AsTask().WaitAsync(Patience);
        var (local, remote) = (client.LocalEndPoint!, client.RemoteEndPoint!);
        var tcpLocal = new TcpEndPoint(IpAddress.FromIPAddress(local.Address), (ushort)local.Port);
        var tcpRemote = new TcpEndPoint(IpAddress.FromIPAddress(remote.Address), (ushort)remote.Port);

        // The client's connection reports, on its loop, the instants it enters and leaves TIME_WAIT.
        var entered = new TaskCompletionSource<Instant>(TaskCreationOptions.RunContinuationsAsynchronously);
        var left = new TaskCompletionSource<(Instant At, TcpState To)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = await StackA.Loop.InvokeAsync(_ =>
        {
            var c = client.Connection!;
            c.StateChanged += (_, t) =>
            {
                if (t.To == TcpState.TimeWait) entered.TrySetResult(StackA.Loop.Now);
                else if (t.From == TcpState.TimeWait) left.TrySetResult((StackA.Loop.Now, t.To));
            };
            return c;
        }).WaitAsync(Patience);

        client.Close(5000); // returns once our FIN is acknowledged
        Assert.Equal(0, await server.ReceiveAsync(new byte[1]).AsTask().WaitAsync(Patience));
        server.Dispose();
        var since = await entered.Task.WaitAsync(Patience);

        var twoMsl = 2 * TcpConfig.Default.Msl;
        var tick = TimeSpan.FromMilliseconds(1); // the loop arms its wake-up timer in whole milliseconds
        Clock.Advance(twoMsl - tick);
        Assert.Equal(TcpState.TimeWait, await StackA.Loop.InvokeAsync(_ => connection.State).WaitAsync(Patience));
        Assert.False(left.Task.IsCompleted);

        Clock.Advance(tick);
        var (until, to) = await left.Task.WaitAsync(Patience);
        Assert.Equal(TcpState.Closed, to);
        Assert.Equal(twoMsl, until - since);
        Assert.Null(await StackA.Loop.InvokeAsync(_ => StackA.Tcp.Find(tcpLocal, tcpRemote)).WaitAsync(Patience));
    }

    [Fact]
    public async Task Keep_alive_options_reach_live_connections_and_the_ones_a_listener_accepts_later()
    {
        using var listener = ListenOnB(false, 7010);
        // Set on the listener after Listen: what it accepts from now on takes them (Linux inheritance).
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        listener.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
        var accepting = listener.AcceptAsync();
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        Assert.Equal(Stack.Tcp.Congestion.CongestionControlKind.Cubic, client.CongestionControl);
        client.CongestionControl = Stack.Tcp.Congestion.CongestionControlKind.NewReno;
        await client.ConnectAsync(new IPEndPoint(B(false), 7010)).AsTask().WaitAsync(Patience);
        using var server = await accepting.AsTask().WaitAsync(Patience);
        Assert.Throws<InvalidOperationException>(() => client.CongestionControl = Stack.Tcp.Congestion.CongestionControlKind.Cubic);

        var accepted = await StackB.Loop.InvokeAsync(_ => server.Connection!.Config).WaitAsync(Patience);
        Assert.True(accepted.KeepAlive);
        Assert.Equal(TimeSpan.FromSeconds(30), accepted.KeepAliveIdle);
        var connected = await StackA.Loop.InvokeAsync(_ => client.Connection!.Config).WaitAsync(Patience);
        Assert.Equal(Stack.Tcp.Congestion.CongestionControlKind.NewReno, connected.CongestionControl);
        Assert.False(connected.KeepAlive);

        // On a connected socket: at once.
        client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 5);
        client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        connected = await StackA.Loop.InvokeAsync(_ => client.Connection!.Config).WaitAsync(Patience);
        Assert.True(connected.KeepAlive);
        Assert.Equal(TimeSpan.FromSeconds(5), connected.KeepAliveInterval);
        Assert.Equal(3, connected.KeepAliveProbes);
        Assert.Equal(5, (int)client.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Throws<ArgumentOutOfRangeException>(() => client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 0));
    }

    [Fact]
    public async Task Socket_whose_connection_faulted_fails_Receive_and_Send_instead_of_hanging()
    {
        using var listener = ListenOnB(false, 7010);
        var accepting = listener.AcceptAsync();
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(B(false), 7010)).AsTask().WaitAsync(Patience);
        using var server = await accepting.AsTask().WaitAsync(Patience);
        // An application hook on the client's connection that throws once when data arrives (issue 12).
        await StackA.Loop.InvokeAsync(_ =>
        {
            var c = client.Connection!;
            var socketHook = c.Notify!;
            bool thrown = false;
            c.Notify = (conn, events) =>
            {
                if (!thrown && events.HasFlag(TcpEvents.Readable))
                {
                    thrown = true;
                    throw new InvalidOperationException("handler bug");
                }
                socketHook(conn, events);
            };
            return 0;
        }).WaitAsync(Patience);
        var pending = client.ReceiveAsync(new byte[100]);

        await server.SendAsync(Encoding.ASCII.GetBytes("hello"));

        var e = await Assert.ThrowsAsync<StackSocketException>(() => pending.AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.ConnectionAborted, e.SocketErrorCode);
        Assert.Equal(SocketError.ConnectionAborted, Assert.Throws<StackSocketException>(() => client.Send([1])).SocketErrorCode);
        Assert.Equal(SocketError.ConnectionAborted, Assert.Throws<StackSocketException>(() => client.Receive(new byte[10])).SocketErrorCode);
        Assert.Equal(1, await StackA.Loop.InvokeAsync(_ => StackA.Tcp.Statistics.Faulted).WaitAsync(Patience));
        // The peer got the RST.
        var reset = await Assert.ThrowsAsync<StackSocketException>(() => server.ReceiveAsync(new byte[10]).AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
    }

    [Fact]
    public void Stream_only_calls_on_a_datagram_socket_say_so()
    {
        using var udp = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        Assert.Equal(SocketError.OperationNotSupported, Assert.Throws<StackSocketException>(() => udp.Listen()).SocketErrorCode);
        using var tcp = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        Assert.Equal(SocketError.NotConnected, Assert.Throws<StackSocketException>(() => tcp.Send([1])).SocketErrorCode);
        Assert.Equal(SocketError.InvalidArgument, Assert.Throws<StackSocketException>(() => tcp.Accept()).SocketErrorCode);
    }
}

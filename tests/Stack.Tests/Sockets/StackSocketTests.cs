using System.Net;
using System.Net.Sockets;
using System.Text;
using Stack.Sockets.Hosting;
using Stack.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;

namespace Stack.Tests.Sockets;

/// <summary>Two stack instances on an in-memory link (on a fake clock), talking through <see cref="StackSocket"/>.</summary>
public sealed class StackSocketTests() : TwoStacks
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Datagram_goes_from_one_stack_to_the_other_and_back(bool v6)
    {
        using var server = StackSocket.Create(StackB, Family(v6), SocketType.Dgram);
        server.Bind(new IPEndPoint(Any(v6), 7000));
        await using var client = StackSocket.Create(StackA, Family(v6), SocketType.Dgram);

        var pending = server.ReceiveFromAsync(new byte[100]);
        await client.SendToAsync(Encoding.ASCII.GetBytes("ping"), new IPEndPoint(B(v6), 7000));
        var got = await pending.AsTask().WaitAsync(Patience);

        Assert.Equal(4, got.ReceivedBytes);
        var from = (IPEndPoint)got.RemoteEndPoint;
        Assert.Equal(A(v6), from.Address);
        Assert.Equal(client.LocalEndPoint!.Port, from.Port);
        Assert.InRange(from.Port, 49152, 65535);

        server.SendTo(Encoding.ASCII.GetBytes("pong"), from);
        var buffer = new byte[100];
        var (n, replyFrom) = await Task.Run(() => (client.ReceiveFrom(buffer, out var from), from)).WaitAsync(Patience);
        Assert.Equal("pong", Encoding.ASCII.GetString(buffer, 0, n));
        Assert.Equal(new IPEndPoint(B(v6), 7000), replyFrom);
    }

    [Fact]
    public async Task Receive_continuations_never_run_on_the_loop_thread()
    {
        using var server = StackSocket.Create(StackB, AddressFamily.InterNetwork, SocketType.Dgram);
        server.Bind(new IPEndPoint(IPAddress.Any, 7001));
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);

        var posted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receive = Task.Run(async () =>
        {
            var pending = server.ReceiveFromAsync(new byte[10]); // posted to B's loop before it returns
            posted.SetResult();
            await pending;
            return StackB.Loop.IsLoopThread;
        });
        await posted.Task.WaitAsync(Patience);
        await StackB.Loop.InvokeAsync(_ => true).WaitAsync(Patience); // B's loop has run what was posted before: the receive waits
        client.SendTo([1], new IPEndPoint(B(false), 7001));

        Assert.False(await receive.WaitAsync(Patience));
    }

    [Fact]
    public async Task Cancelled_receive_loses_no_datagram()
    {
        using var server = StackSocket.Create(StackB, AddressFamily.InterNetwork, SocketType.Dgram);
        server.Bind(new IPEndPoint(IPAddress.Any, 7002));
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        using var cts = new CancellationTokenSource();

        var first = server.ReceiveFromAsync(new byte[10], cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Patience));

        client.SendTo([42], new IPEndPoint(B(false), 7002));
        var buffer = new byte[10];
        var second = await server.ReceiveFromAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal((1, (byte)42), (second.ReceivedBytes, buffer[0]));
    }

    [Fact]
    public async Task Synchronous_receive_times_out_after_ReceiveTimeout()
    {
        using var socket = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        socket.ReceiveTimeout = 100;

        var armed = Clock.NextTimer();
        var receive = Task.Run(() => socket.ReceiveFrom(new byte[10], out _));
        await armed.WaitAsync(Patience); // the timeout runs on the stacks' clock
        Clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(receive.IsCompleted);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        var e = await Assert.ThrowsAsync<StackSocketException>(() => receive.WaitAsync(Patience));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connected_socket_learns_from_port_unreachable_that_the_peer_refuses(bool v6)
    {
        using var client = StackSocket.Create(StackA, Family(v6), SocketType.Dgram);
        await client.ConnectAsync(new IPEndPoint(B(v6), 9999));
        Assert.Equal(new IPEndPoint(B(v6), 9999), client.RemoteEndPoint);
        Assert.Equal(A(v6), client.LocalEndPoint!.Address);

        await client.SendAsync(Encoding.ASCII.GetBytes("anyone?"));
        var e = await Assert.ThrowsAsync<StackSocketException>(() => client.ReceiveAsync(new byte[10]).AsTask().WaitAsync(Patience));

        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Contains("refused", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Second_bind_of_a_port_fails_with_address_in_use_and_says_what_to_do()
    {
        using var first = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        first.Bind(new IPEndPoint(IPAddress.Any, 7003));
        using var second = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);

        var e = Assert.Throws<StackSocketException>(() => second.Bind(new IPEndPoint(IPAddress.Any, 7003)));

        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.Contains("ReuseAddress", e.Message, StringComparison.Ordinal);
        Assert.False(second.IsBound);
    }

    [Fact]
    public void Reuse_address_lets_two_sockets_share_a_port_and_close_frees_it()
    {
        using var first = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        first.ReuseAddress = true;
        first.Bind(new IPEndPoint(IPAddress.Any, 7004));
        using var second = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        second.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        second.Bind(new IPEndPoint(IPAddress.Any, 7004));
        Assert.Equal(1, second.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress));

        first.Dispose();
        second.Dispose();
        using var third = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        third.Bind(new IPEndPoint(IPAddress.Any, 7004));
    }

    [Fact]
    public async Task Dispose_aborts_a_waiting_receive()
    {
        var socket = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        var pending = socket.ReceiveFromAsync(new byte[10]).AsTask();

        await socket.DisposeAsync();

        var e = await Assert.ThrowsAsync<StackSocketException>(() => pending.WaitAsync(Patience));
        Assert.Equal(SocketError.OperationAborted, e.SocketErrorCode);
        Assert.Throws<ObjectDisposedException>(() => socket.SendTo([1], new IPEndPoint(B(false), 7)));
    }

    [Fact]
    public void Send_and_Receive_need_a_connected_socket()
    {
        using var socket = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        Assert.Equal(SocketError.NotConnected, Assert.Throws<StackSocketException>(() => socket.Send([1])).SocketErrorCode);
        Assert.Equal(SocketError.NotConnected, Assert.Throws<StackSocketException>(() => socket.Receive(new byte[1])).SocketErrorCode);
    }

    [Fact]
    public void Receiving_on_an_unbound_socket_is_refused_rather_than_waiting_for_ever()
    {
        using var socket = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        var e = Assert.Throws<InvalidOperationException>(() => socket.ReceiveFrom(new byte[1], out _));
        Assert.Contains("Bind", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_big_a_datagram_fails_with_message_size()
    {
        using var socket = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        var e = Assert.Throws<StackSocketException>(() => socket.SendTo(new byte[65508], new IPEndPoint(B(false), 7)));
        Assert.Equal(SocketError.MessageSize, e.SocketErrorCode);
    }

    [Fact]
    public void Wrong_family_endpoint_is_refused()
    {
        using var socket = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        var e = Assert.Throws<StackSocketException>(() => socket.SendTo([1], new IPEndPoint(B(true), 7)));
        Assert.Equal(SocketError.AddressFamilyNotSupported, e.SocketErrorCode);
    }

    [Fact]
    public void Raw_and_seqpacket_sockets_are_not_supported_and_say_so()
    {
        var e = Assert.Throws<NotSupportedException>(() => StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Raw));
        Assert.Contains("Stream (TCP)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_round_trip_and_unknown_ones_are_refused()
    {
        using var socket = StackSocket.Create(StackA, AddressFamily.InterNetworkV6, SocketType.Dgram);
        Assert.Equal(212_992, socket.ReceiveBufferSize);
        socket.ReceiveBufferSize = 4096;
        socket.SendBufferSize = 8192;
        socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive, 7);
        Assert.Equal(4096, socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer));
        Assert.Equal(8192, socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.SendBuffer));
        Assert.Equal(7, socket.GetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive));
        Assert.Equal((int)SocketType.Dgram, socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Type));
        Assert.Equal(0, socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error));

        var e = Assert.Throws<StackSocketException>(() => socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.NoDelay, true));
        Assert.Equal(SocketError.ProtocolOption, e.SocketErrorCode);
    }

    [Fact]
    public async Task Datagram_sent_with_hop_limit_1_still_reaches_a_neighbour()
    {
        using var server = StackSocket.Create(StackB, AddressFamily.InterNetwork, SocketType.Dgram);
        server.Bind(new IPEndPoint(IPAddress.Any, 7005));
        using var client = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Dgram);
        client.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, 1);

        var pending = server.ReceiveFromAsync(new byte[10]);
        client.SendTo([1], new IPEndPoint(B(false), 7005));
        Assert.Equal(1, (await pending.AsTask().WaitAsync(Patience)).ReceivedBytes);
    }
}

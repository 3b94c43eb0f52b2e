using System.Net;
using System.Net.Sockets;
using Stack.Sockets;

namespace Stack.Tests.Sockets;

/// <summary>
/// One body per behaviour, run over the blocking, awaited and cancellable form of every call it makes
/// (<see cref="SocketCalls"/>): the forms share one implementation, and these tests hold them to it. The second
/// half checks what the reused completions (one per direction per socket) must get right: a call abandoned by
/// its timeout or token leaves the socket working, and a cancellation that comes too late touches nothing.
/// </summary>
public sealed class CallFormTests() : TwoStacks
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static TheoryData<CallForm, bool> FormsAndFamilies()
    {
        var data = new TheoryData<CallForm, bool>();
        foreach (var form in Enum.GetValues<CallForm>())
        {
            data.Add(form, false);
            data.Add(form, true);
        }
        return data;
    }

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Theory]
    [MemberData(nameof(FormsAndFamilies))]
    public async Task Stream_connect_accept_exchange_and_end_of_stream(CallForm form, bool v6)
    {
        using var calls = new SocketCalls(form);
        using var listener = StackSocket.Create(StackB, Family(v6), SocketType.Stream);
        listener.Bind(new IPEndPoint(Any(v6), 7100));
        listener.Listen(4);
        var accepting = calls.Accept(listener);
        using var client = StackSocket.Create(StackA, Family(v6), SocketType.Stream);
        await calls.Connect(client, new IPEndPoint(B(v6), 7100)).WaitAsync(Patience);
        using var server = await accepting.WaitAsync(Patience);
        Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);

        // More than one send buffer's worth, so the send waits on the loop for the window at least once.
        var request = Pattern(600_000, seed: 1);
        var sending = calls.Send(client, request);
        var received = await ReceiveExactly(calls, server, request.Length);
        Assert.Equal(request.Length, await sending.WaitAsync(Patience));
        Assert.Equal(request, received);

        var reply = Pattern(3_000, seed: 2);
        Assert.Equal(reply.Length, await calls.Send(server, reply).WaitAsync(Patience));
        server.Shutdown(SocketShutdown.Send);
        Assert.Equal(reply, await ReceiveExactly(calls, client, reply.Length));
        Assert.Equal(0, await calls.Receive(client, new byte[16]).WaitAsync(Patience));
    }

    [Theory]
    [MemberData(nameof(FormsAndFamilies))]
    public async Task Datagrams_to_a_bound_and_from_a_connected_socket(CallForm form, bool v6)
    {
        using var calls = new SocketCalls(form);
        using var server = StackSocket.Create(StackB, Family(v6), SocketType.Dgram);
        server.Bind(new IPEndPoint(Any(v6), 7200));
        using var client = StackSocket.Create(StackA, Family(v6), SocketType.Dgram);

        var buffer = new byte[2_000];
        IPEndPoint? sender = null;
        foreach (int length in new[] { 0, 1, 1_472 })
        {
            var datagram = Pattern(length, seed: length);
            Assert.Equal(length, await calls.SendTo(client, datagram, new IPEndPoint(B(v6), 7200)).WaitAsync(Patience));
            var (n, from) = await calls.ReceiveFrom(server, buffer).WaitAsync(Patience);
            Assert.Equal(datagram, buffer[..n]);
            Assert.Equal(new IPEndPoint(A(v6), client.LocalEndPoint!.Port), from);
            sender = from;
        }

        await calls.Connect(client, new IPEndPoint(B(v6), 7200)).WaitAsync(Patience);
        var back = Pattern(100, seed: 3);
        Assert.Equal(back.Length, await calls.SendTo(server, back, sender!).WaitAsync(Patience));
        int got = await calls.Receive(client, buffer).WaitAsync(Patience);
        Assert.Equal(back, buffer[..got]);
        Assert.Equal(5, await calls.Send(client, back.AsMemory(0, 5)).WaitAsync(Patience));
        Assert.Equal(5, (await calls.ReceiveFrom(server, buffer).WaitAsync(Patience)).Length);
    }

    [Theory]
    [InlineData(CallForm.Sync, SocketType.Dgram)]
    [InlineData(CallForm.Sync, SocketType.Stream)]
    [InlineData(CallForm.Cancellable, SocketType.Dgram)]
    [InlineData(CallForm.Cancellable, SocketType.Stream)]
    public async Task A_receive_abandoned_by_timeout_or_token_leaves_the_socket_receiving(CallForm form, SocketType type)
    {
        var (sender, receiver) = await Pair(type);
        using var _ = sender;
        using var __ = receiver;
        var buffer = new byte[64];

        Exception abandoned;
        if (form == CallForm.Sync)
        {
            receiver.ReceiveTimeout = 50;
            var armed = Clock.NextTimer();
            var receive = Task.Run(() => receiver.Receive(buffer));
            await armed.WaitAsync(Patience);
            Clock.Advance(TimeSpan.FromMilliseconds(50));
            abandoned = await Assert.ThrowsAsync<StackSocketException>(() => receive.WaitAsync(Patience));
            Assert.Equal(SocketError.TimedOut, ((StackSocketException)abandoned).SocketErrorCode);
        }
        else
        {
            using var cancel = new CancellationTokenSource();
            var receive = receiver.ReceiveAsync(buffer, cancel.Token).AsTask();
            Assert.False(receive.IsCompleted);
            cancel.Cancel();
            abandoned = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receive.WaitAsync(Patience));
        }

        // The next receive (on the same reused completion) gets the next data, and nothing was lost to the abandoned one.
        await sender.SendAsync(new byte[] { 7, 8, 9 });
        int n = await receiver.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal(new byte[] { 7, 8, 9 }, buffer[..n]);
    }

    [Theory]
    [InlineData(SocketType.Dgram)]
    [InlineData(SocketType.Stream)]
    public async Task A_cancellation_after_the_receive_completed_does_not_touch_the_next_one(SocketType type)
    {
        var (sender, receiver) = await Pair(type);
        using var _ = sender;
        using var __ = receiver;
        var buffer = new byte[64];

        using var late = new CancellationTokenSource();
        var first = receiver.ReceiveAsync(buffer, late.Token);
        await sender.SendAsync(new byte[] { 1 });
        while (!first.IsCompleted) await Task.Delay(1);

        // Completed but not yet awaited, the receive still holds its token's registration: this cancellation goes to
        // the loop for a call that is over, and must not reach the next call on the same reused completion.
        late.Cancel();
        Assert.Equal(1, await first);
        var second = receiver.ReceiveAsync(buffer).AsTask();
        await sender.SendAsync(new byte[] { 2, 2 });
        Assert.Equal(2, await second.WaitAsync(Patience));
    }

    [Theory]
    [InlineData(SocketType.Dgram)]
    [InlineData(SocketType.Stream)]
    public async Task Two_receives_waiting_at_once_are_served_in_order(SocketType type)
    {
        var (sender, receiver) = await Pair(type);
        using var _ = sender;
        using var __ = receiver;
        var a = new byte[8];
        var b = new byte[8];

        var first = receiver.ReceiveAsync(a).AsTask();
        var second = receiver.ReceiveAsync(b).AsTask(); // the first holds the reused completion: this one gets its own
        await sender.SendAsync(new byte[] { 1 });
        Assert.Equal(1, await first.WaitAsync(Patience));
        await sender.SendAsync(new byte[] { 2 });
        Assert.Equal(1, await second.WaitAsync(Patience));
        Assert.Equal((1, 2), (a[0], b[0]));
    }

    /// <summary>A connected pair over IPv4: A sends, B receives.</summary>
    private async Task<(StackSocket Sender, StackSocket Receiver)> Pair(SocketType type)
    {
        var sender = StackSocket.Create(StackA, AddressFamily.InterNetwork, type);
        if (type == SocketType.Dgram)
        {
            var receiver = StackSocket.Create(StackB, AddressFamily.InterNetwork, type);
            receiver.Bind(new IPEndPoint(IPAddress.Any, 7300));
            await sender.ConnectAsync(new IPEndPoint(B(false), 7300)).AsTask().WaitAsync(Patience);
            await receiver.ConnectAsync(sender.LocalEndPoint!).AsTask().WaitAsync(Patience);
            return (sender, receiver);
        }
        using var listener = StackSocket.Create(StackB, AddressFamily.InterNetwork, type);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7300));
        listener.Listen(1);
        var accepting = listener.AcceptAsync().AsTask();
        await sender.ConnectAsync(new IPEndPoint(B(false), 7300)).AsTask().WaitAsync(Patience);
        return (sender, await accepting.WaitAsync(Patience));
    }

    private static async Task<byte[]> ReceiveExactly(SocketCalls calls, StackSocket socket, int length)
    {
        var all = new byte[length];
        int at = 0;
        while (at < length)
        {
            int n = await calls.Receive(socket, all.AsMemory(at)).WaitAsync(Patience);
            Assert.NotEqual(0, n);
            at += n;
        }
        return all;
    }
}

using System.Net;
using Stack.Sockets;

namespace Stack.Tests.Sockets;

/// <summary>The three ways a program makes a socket call: blocking, awaited, and awaited with a token that can cancel.</summary>
public enum CallForm
{
    Sync,
    Async,
    Cancellable,
}

/// <summary>
/// Makes each <see cref="StackSocket"/> call in one <see cref="CallForm"/>, so one test body covers all three.
/// Blocking calls run on the thread pool (they may not run on the test's thread while it drives the clock);
/// cancellable ones get a token that can cancel but does not, which exercises the registration path.
/// </summary>
internal sealed class SocketCalls(CallForm form) : IDisposable
{
    private readonly CancellationTokenSource _never = new();

    public CallForm Form => form;

    private CancellationToken Token => form == CallForm.Cancellable ? _never.Token : CancellationToken.None;

    public Task Connect(StackSocket socket, IPEndPoint remote) =>
        form == CallForm.Sync ? Task.Run(() => socket.Connect(remote)) : socket.ConnectAsync(remote, Token).AsTask();

    public Task<StackSocket> Accept(StackSocket listener) =>
        form == CallForm.Sync ? Task.Run(listener.Accept) : listener.AcceptAsync(Token).AsTask();

    public Task<int> Send(StackSocket socket, ReadOnlyMemory<byte> data) =>
        form == CallForm.Sync ? Task.Run(() => socket.Send(data.Span)) : socket.SendAsync(data, Token).AsTask();

    public Task<int> Receive(StackSocket socket, Memory<byte> buffer) =>
        form == CallForm.Sync ? Task.Run(() => socket.Receive(buffer.Span)) : socket.ReceiveAsync(buffer, Token).AsTask();

    public Task<int> SendTo(StackSocket socket, ReadOnlyMemory<byte> data, IPEndPoint remote) =>
        form == CallForm.Sync ? Task.Run(() => socket.SendTo(data.Span, remote)) : socket.SendToAsync(data, remote, Token).AsTask();

    public async Task<(int Length, IPEndPoint From)> ReceiveFrom(StackSocket socket, Memory<byte> buffer)
    {
        if (form == CallForm.Sync)
        {
            return await Task.Run(() =>
            {
                int n = socket.ReceiveFrom(buffer.Span, out var from);
                return (n, from);
            });
        }
        var result = await socket.ReceiveFromAsync(buffer, Token);
        return (result.ReceivedBytes, (IPEndPoint)result.RemoteEndPoint);
    }

    public void Dispose() => _never.Dispose();
}

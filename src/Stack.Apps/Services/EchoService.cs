using Stack.Sockets;

namespace Stack.Apps.Services;

/// <summary>
/// RFC 862 echo: each datagram comes back unchanged. Over TCP concurrent (seed chapter 5): a task per
/// connection sends back what it reads until the client's end of file, then closes.
/// </summary>
public sealed class EchoService : IDatagramService, IStreamService
{
    private const int BufferSize = 64 * 1024;

    public const ushort WellKnownPort = 7;

    public string Name => "echo";
    public ushort Port => WellKnownPort;

    public int Answer(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        request.CopyTo(reply);
        return request.Length;
    }

    public Task ServeAsync(StackSocket listener, CancellationToken token) =>
        StreamServer.RunConcurrentAsync(listener, EchoAsync, token);

    private static async Task EchoAsync(StackSocket connection, CancellationToken token)
    {
        var buffer = new byte[BufferSize];
        int n;
        while ((n = await connection.ReceiveAsync(buffer, token)) > 0)
            await connection.SendAsync(buffer.AsMemory(0, n), token);
    }
}

using Stack.Sockets;

namespace Stack.Apps.Services;

/// <summary>RFC 863 discard: datagrams, and over TCP every byte until the client closes, are thrown away; nothing is sent.</summary>
public sealed class DiscardService : IDatagramService, IStreamService
{
    public const ushort WellKnownPort = 9;

    public string Name => "discard";
    public ushort Port => WellKnownPort;

    public int Answer(ReadOnlySpan<byte> request, Span<byte> reply) => -1;

    public Task ServeAsync(StackSocket listener, CancellationToken token) =>
        StreamServer.RunConcurrentAsync(listener, async (connection, t) =>
        {
            var buffer = new byte[64 * 1024];
            while (await connection.ReceiveAsync(buffer, t) > 0)
            {
            }
        }, token);
}

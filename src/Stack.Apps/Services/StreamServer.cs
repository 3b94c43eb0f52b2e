using System.Net.Sockets;
using Stack.Apps.Sockets;

namespace Stack.Apps.Services;

/// <summary>The accept loops the TCP services share: iterative (one client at a time) and concurrent (a task per client).</summary>
internal static class StreamServer
{
    /// <summary>
    /// Seed figure 1.9's shape: accept, serve, close, next. <paramref name="serve"/> runs to completion before
    /// the next accept; the connection is closed gracefully after it.
    /// </summary>
    public static async Task RunIterativeAsync(StackSocket listener, Func<StackSocket, CancellationToken, Task> serve, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            StackSocket connection;
            try
            {
                connection = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (IsStop(e))
            {
                return;
            }
            using (connection)
            {
                await ServeOneAsync(connection, serve, token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Seed chapter 5's shape: each accepted connection is served by its own task; stopping closes them all.</summary>
    public static async Task RunConcurrentAsync(StackSocket listener, Func<StackSocket, CancellationToken, Task> serve, CancellationToken token)
    {
        var running = new List<Task>();
        while (!token.IsCancellationRequested)
        {
            StackSocket connection;
            try
            {
                connection = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (IsStop(e))
            {
                break;
            }
            running.RemoveAll(t => t.IsCompleted);
            running.Add(Task.Run(async () =>
            {
                using (connection)
                using (token.Register(connection.Dispose))
                {
                    await ServeOneAsync(connection, serve, token).ConfigureAwait(false);
                }
            }, CancellationToken.None));
        }
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private static async Task ServeOneAsync(StackSocket connection, Func<StackSocket, CancellationToken, Task> serve, CancellationToken token)
    {
        try
        {
            await serve(connection, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StackSocketException or OperationCanceledException
            || (e is ObjectDisposedException && token.IsCancellationRequested))
        {
            // The client reset the connection, or the service is stopping (which disposes the connection under a
            // service that may be about to call it again): this connection is done.
        }
    }

    private static bool IsStop(Exception e) =>
        e is OperationCanceledException or ObjectDisposedException
            || e is StackSocketException { SocketErrorCode: SocketError.OperationAborted };
}

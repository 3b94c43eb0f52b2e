using System.Net.Sockets;
using Stack.Sockets;
using Stack.Link.Loop;

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
                connection = await listener.AcceptAsync(token);
            }
            catch (Exception e) when (IsStop(e))
            {
                return;
            }
            using (connection)
            {
                await ServeOneAsync(connection, serve, token);
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
                connection = await listener.AcceptAsync(token);
            }
            catch (Exception e) when (IsStop(e))
            {
                break;
            }
            running.RemoveAll(t => t.IsCompleted);
            running.Add(Start(async () =>
            {
                using (connection)
                using (token.Register(connection.Dispose))
                {
                    await ServeOneAsync(connection, serve, token);
                }
            }));
        }
        await Task.WhenAll(running);
    }

    /// <summary>
    /// Starts <paramref name="work"/> alongside the caller. On the event loop it starts right here: it runs to
    /// its first await and then resumes through the loop's context, so a connection costs no thread hop. Elsewhere
    /// it goes to the thread pool, so a service that blocks holds up only its own connection.
    /// </summary>
    public static Task Start(Func<Task> work) =>
        SynchronizationContext.Current is LoopSynchronizationContext ? work() : Task.Run(work, CancellationToken.None);

    private static async Task ServeOneAsync(StackSocket connection, Func<StackSocket, CancellationToken, Task> serve, CancellationToken token)
    {
        try
        {
            await serve(connection, token);
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

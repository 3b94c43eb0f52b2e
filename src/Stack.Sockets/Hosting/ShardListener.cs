using System.Net;
using System.Net.Sockets;

namespace Stack.Sockets.Hosting;

/// <summary>
/// One listening endpoint on every shard of a multi-queue stack (<see cref="StackShards.ListenAll"/>), as a program
/// on Linux opens one SO_REUSEPORT socket per thread: each shard's listener takes the SYNs the kernel steers to its
/// queue, so connections are spread over the shards' loops, and <see cref="AcceptAsync"/> hands them out as one
/// stream, each socket served by the shard that holds it. Disposing it closes every listener.
/// </summary>
public sealed class ShardListener : IDisposable
{
    private readonly StackSocket[] _listeners;
    private readonly Task<StackSocket>?[] _pending;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _one = new(1, 1);
    private int _next;
    private bool _disposed;

    internal ShardListener(StackSocket[] listeners)
    {
        _listeners = listeners;
        _pending = new Task<StackSocket>?[listeners.Length];
    }

    /// <summary>The listeners, shard k's at k.</summary>
    public IReadOnlyList<StackSocket> Listeners => _listeners;

    /// <summary>Where they listen (the same address and port on every shard).</summary>
    public IPEndPoint LocalEndPoint => _listeners[0].LocalEndPoint!;

    /// <summary>
    /// The next connection any shard accepted. Each shard keeps one accept outstanding; when several have a
    /// connection ready they take turns, so a busy shard cannot starve the others. Calls may overlap: they are
    /// served one at a time.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    public async ValueTask<StackSocket> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (int k = 0; k < _pending.Length; k++) _pending[k] ??= _listeners[k].AcceptAsync(_stop.Token).AsTask();
            int ready = Ready();
            if (ready < 0)
            {
                await Task.WhenAny(_pending!).WaitAsync(cancellationToken).ConfigureAwait(false);
                ready = Ready();
            }
            var accepted = _pending[ready]!;
            _pending[ready] = null;
            _next = (ready + 1) % _pending.Length;
            return await accepted.ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>The first shard from <see cref="_next"/> on whose accept has completed, or -1.</summary>
    private int Ready()
    {
        for (int i = 0; i < _pending.Length; i++)
        {
            int k = (_next + i) % _pending.Length;
            if (_pending[k]!.IsCompleted) return k;
        }
        return -1;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Cancel();
        foreach (var listener in _listeners) listener.Dispose();
        // A connection accepted but never handed out is closed, not leaked.
        foreach (var pending in _pending)
            pending?.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Binds and listens on every shard; a port of 0 becomes the one shard 0 was given, on all.</summary>
    internal static ShardListener Start(IReadOnlyList<StackInstance> shards, IPEndPoint localEP, int backlog)
    {
        var listeners = new List<StackSocket>(shards.Count);
        try
        {
            foreach (var shard in shards)
            {
                var socket = StackSocket.Create(shard, localEP.AddressFamily, SocketType.Stream);
                listeners.Add(socket);
                socket.Bind(listeners.Count == 1 ? localEP : listeners[0].LocalEndPoint!);
                socket.Listen(backlog);
            }
        }
        catch
        {
            foreach (var socket in listeners) socket.Dispose();
            throw;
        }
        return new ShardListener([.. listeners]);
    }
}

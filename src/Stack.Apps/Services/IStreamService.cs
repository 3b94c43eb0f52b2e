using Stack.Sockets;

namespace Stack.Apps.Services;

/// <summary>A service over TCP: it owns the accept loop of its listening socket (iterative or concurrent).</summary>
public interface IStreamService
{
    /// <summary>The service's name, as `stack serve --services` takes it.</summary>
    string Name { get; }

    /// <summary>Its well-known port.</summary>
    ushort Port { get; }

    /// <summary>
    /// Accepts and serves connections on <paramref name="listener"/> until <paramref name="token"/> is cancelled
    /// or the listener is closed; a failing connection must not end the service.
    /// </summary>
    /// <remarks>
    /// <see cref="ServiceHost"/> runs this on the stack's event loop, with the loop's
    /// <see cref="System.Threading.SynchronizationContext"/> installed, so every await resumes on the loop with
    /// no thread hop (run to completion, as a Netty or Seastar handler). Code run there must never block (no
    /// synchronous socket calls, Wait or Result) or spin: the loop is the one thread every connection of the
    /// stack waits on. Stay on it: no ConfigureAwait(false), and no Task.Run per connection (see
    /// <see cref="StreamServer"/>).
    /// </remarks>
    Task ServeAsync(StackSocket listener, CancellationToken token);

    /// <summary>Sets options on <paramref name="listener"/> before it is bound and listens; its connections inherit them.</summary>
    void Configure(StackSocket listener)
    {
    }
}

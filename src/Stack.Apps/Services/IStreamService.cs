using Stack.Apps.Sockets;

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
    Task ServeAsync(StackSocket listener, CancellationToken token);
}

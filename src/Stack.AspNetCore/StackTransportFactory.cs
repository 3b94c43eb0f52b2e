using System.Net;
using Microsoft.AspNetCore.Connections;
using Stack.Sockets.Hosting;

namespace Stack.AspNetCore;

/// <summary>
/// Kestrel's transport on a stack: the endpoints Kestrel is told to listen on (<c>options.Listen(IPAddress.Any, 80)</c>,
/// <c>ListenAnyIP</c>, <c>ListenLocalhost</c> is not: the stack has no loopback) are listening stack sockets, and
/// every connection they accept is served to Kestrel through pipes (<see cref="StackConnection"/>).
/// </summary>
public sealed class StackTransportFactory(StackInstance stack, StackTransportOptions? options = null) : IConnectionListenerFactory
{
    private readonly StackTransportOptions _options = options ?? new StackTransportOptions();

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        cancellationToken.ThrowIfCancellationRequested();
        if (endpoint is not IPEndPoint ip)
            throw new NotSupportedException($"The stack serves IP endpoints, not {endpoint.GetType().Name} ({endpoint}).");
        if (IPAddress.IsLoopback(ip.Address))
            throw new NotSupportedException($"The stack has no loopback interface: listen on its addresses or the wildcard, not {ip}.");
        return ValueTask.FromResult<IConnectionListener>(StackConnectionListener.Bind(stack, ip, _options));
    }
}

using System.Net;
using System.Net.Sockets;
using Stack.Sockets.Dns;
using Stack.Sockets.Hosting;

namespace Stack.Sockets.Http;

/// <summary>
/// Resolves a host name to the addresses to try, in order. Without one, the stack's own resolver
/// (<see cref="StackInstance.Dns"/>) is used.
/// </summary>
public delegate ValueTask<IPAddress[]> StackHostResolver(string host, CancellationToken cancellationToken);

/// <summary>
/// .NET's HTTP stack over the stack: a <see cref="SocketsHttpHandler"/> whose connections are stack TCP
/// connections, so HttpClient works as usual on top (HTTP/1.1, HTTPS through the handler's own SslStream, connection
/// pooling and reuse, timeouts and cancellation).
/// </summary>
/// <example>
/// <code>
/// using var http = stack.CreateHttpClient();
/// var page = await http.GetStringAsync("http://192.0.2.1/");
/// </code>
/// </example>
public static class StackHttp
{
    /// <summary>
    /// A handler that connects through <paramref name="stack"/>. Configure it further as any SocketsHttpHandler
    /// (SslOptions for certificates, PooledConnectionLifetime, MaxConnectionsPerServer...); its
    /// <see cref="SocketsHttpHandler.ConnectCallback"/> is the stack's and its proxy is off (a proxy would be
    /// reached through the host's network, not the stack's).
    /// </summary>
    /// <param name="resolve">Turns host names into addresses; without it the stack's own resolver (<see cref="StackInstance.Dns"/>) does.</param>
    public static SocketsHttpHandler CreateHttpMessageHandler(this StackInstance stack, StackHostResolver? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = (context, cancellationToken) => ConnectAsync(stack, context.DnsEndPoint, resolve, cancellationToken),
        };
    }

    /// <summary>An <see cref="HttpClient"/> on <see cref="CreateHttpMessageHandler"/>; disposing it closes its connections.</summary>
    public static HttpClient CreateHttpClient(this StackInstance stack, StackHostResolver? resolve = null) =>
        new(stack.CreateHttpMessageHandler(resolve), disposeHandler: true);

    /// <summary>
    /// Opens a stack TCP connection to <paramref name="endPoint"/>, trying each resolved address in turn, and
    /// returns its stream (which owns the socket). The first failure is rethrown when every address fails.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(StackInstance stack, DnsEndPoint endPoint, StackHostResolver? resolve,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(endPoint);
        var addresses = await ResolveAsync(stack, endPoint.Host, resolve, cancellationToken).ConfigureAwait(false);
        Exception? first = null;
        foreach (var address in addresses)
        {
            var socket = StackSocket.Create(stack, address.AddressFamily, SocketType.Stream);
            try
            {
                // As SocketsHttpHandler sets on its own sockets: a request's last segment goes at once.
                socket.NoDelay = true;
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken).ConfigureAwait(false);
                return socket.GetStream(ownsSocket: true);
            }
            catch (StackSocketException e)
            {
                socket.Dispose();
                first ??= e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw new HttpRequestException($"No connection to {endPoint.Host}:{endPoint.Port} through the stack", first);
    }

    private static async ValueTask<IPAddress[]> ResolveAsync(StackInstance stack, string host, StackHostResolver? resolve,
        CancellationToken cancellationToken)
    {
        // A URI's IPv6 literal comes bracketed ("[2001:db8::1]").
        var literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(literal, out var address)) return [address];
        IPAddress[] found;
        try
        {
            found = resolve is null
                ? [.. await stack.Dns.ResolveAsync(host, null, cancellationToken).ConfigureAwait(false)]
                : await resolve(host, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResolveException e)
        {
            throw new HttpRequestException($"'{host}': {e.Message}", e);
        }
        var usable = found.Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6).ToArray();
        return usable.Length > 0 ? usable : throw new HttpRequestException($"'{host}' resolved to no IPv4 or IPv6 address");
    }
}

using System.Net.Sockets;

namespace Stack.Sockets.Dns;

/// <summary>
/// A name could not be resolved. <see cref="SocketErrorCode"/> uses the codes <see cref="System.Net.Dns"/>
/// users know: <see cref="SocketError.HostNotFound"/> (NXDOMAIN), <see cref="SocketError.NoData"/> (the name has
/// no address of the family asked), <see cref="SocketError.TryAgain"/> (no server answered usefully).
/// </summary>
public sealed class DnsResolveException : Exception
{
    public DnsResolveException()
        : this(SocketError.SocketError, "DNS resolution failed")
    {
    }

    public DnsResolveException(string message)
        : this(SocketError.SocketError, message)
    {
    }

    public DnsResolveException(string message, Exception innerException)
        : base(message, innerException) => SocketErrorCode = SocketError.SocketError;

    public DnsResolveException(SocketError error, string message, Exception? innerException = null)
        : base(message, innerException) => SocketErrorCode = error;

    public SocketError SocketErrorCode { get; }
}

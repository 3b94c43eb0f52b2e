using System.Net.Sockets;

namespace Stack.Sockets;

/// <summary>
/// A socket operation failed: <see cref="SocketErrorCode"/> says why, in the codes <see cref="SocketException"/>
/// users know, and the message says what to do about it.
/// </summary>
public sealed class StackSocketException : Exception
{
    public StackSocketException()
        : this(SocketError.SocketError)
    {
    }

    public StackSocketException(string message)
        : base(message) => SocketErrorCode = SocketError.SocketError;

    public StackSocketException(string message, Exception innerException)
        : base(message, innerException) => SocketErrorCode = SocketError.SocketError;

    public StackSocketException(SocketError error, string? context = null)
        : base(Describe(error, context)) => SocketErrorCode = error;

    public SocketError SocketErrorCode { get; }

    private static string Describe(SocketError error, string? context)
    {
        var advice = error switch
        {
            SocketError.AddressAlreadyInUse =>
                "Address already in use: another socket is bound to that port. Pick another port, bind port 0 for an ephemeral one, or set ReuseAddress on every socket that shares it.",
            SocketError.AddressNotAvailable =>
                "Address not available: bind to one of the stack's own addresses (or Any/IPv6Any), and send to a real address and a port other than 0.",
            SocketError.AddressFamilyNotSupported =>
                "Address family mismatch: this socket is of the other IP family; create one with the endpoint's AddressFamily.",
            SocketError.ConnectionRefused =>
                "Connection refused: nothing listens on that port (TCP: the peer answered the SYN with a RST; UDP: it answered an earlier datagram with ICMP port unreachable). Check the peer's address and port, or try again when its service runs.",
            SocketError.ConnectionReset =>
                "Connection reset: the peer aborted the connection (a RST). Data sent since may be lost; connect again if needed.",
            SocketError.ConnectionAborted =>
                "Connection aborted: an unexpected exception inside the stack failed this connection (the stack's log has it: a handler on the connection, or a stack bug) and the peer was sent a RST. Connect again; report the logged exception if it is not your code's.",
            SocketError.Shutdown =>
                "The socket was shut down for sending (Shutdown or Close): no more data can be sent on it.",
            SocketError.IsConnected =>
                "Already connected: a stream socket connects once; create a new socket for another connection.",
            SocketError.OperationNotSupported =>
                "Not supported on this socket type: Listen, Accept and Shutdown are for stream (TCP) sockets; SendTo and ReceiveFrom for datagram (UDP) sockets.",
            SocketError.HostUnreachable =>
                "Host unreachable: the peer did not answer address resolution, or a router said it cannot reach it. Check that the peer is up on that network.",
            SocketError.ProtocolOption =>
                "The peer does not speak this protocol (ICMP protocol unreachable).",
            SocketError.MessageSize =>
                "Message too long: a UDP datagram holds at most 65507 bytes over IPv4 and 65527 over IPv6, and until the IP layer fragments it must also fit the path MTU. Send less per datagram.",
            SocketError.NetworkUnreachable =>
                "Network unreachable: no route to that address. Give the stack an address on its network or a gateway (--gateway).",
            SocketError.NotConnected =>
                "Not connected: Send and Receive need a default peer; call Connect first, or use SendTo and ReceiveFrom.",
            SocketError.TimedOut =>
                "Timed out: the peer did not answer in time (ReceiveTimeout, SendTimeout, or TCP's connect and retransmission limits). Raise the timeout, or check that the peer answers.",
            SocketError.OperationAborted =>
                "Operation aborted: the socket was closed while the call was waiting.",
            SocketError.InvalidArgument =>
                "Invalid argument: the socket is already bound (bind once, before sending or connecting), or Accept was called before Listen.",
            SocketError.NoBufferSpaceAvailable =>
                "No buffer space: the stack dropped the datagram because a queue was full; slow down and retry.",
            SocketError.ProtocolNotSupported =>
                "Not supported by the stack's sockets.",
            _ => $"Socket error {error}.",
        };
        return context is null ? advice : $"{context}: {advice}";
    }
}

namespace Stack.Tcp;

/// <summary>
/// What changed on a connection, as flags handed to <see cref="TcpConnection.Notify"/> once per input, timer or
/// API call, after the connection has finished processing it (so the handler sees a consistent connection).
/// </summary>
[Flags]
public enum TcpEvents
{
    None = 0,

    /// <summary>Data, end of stream or an error can be picked up with Receive.</summary>
    Readable = 1,

    /// <summary>
    /// The send buffer has room again for a writer that found it full (Linux sk_stream_write_space: raised once per
    /// such wait, not on every ACK), or an error makes Send fail at once.
    /// </summary>
    Writable = 2,

    /// <summary>The connection reached ESTABLISHED (connect completed, or the handshake of an accepted one).</summary>
    Connected = 4,

    /// <summary>The connection reached CLOSED; it is gone from the layer.</summary>
    Closed = 8,

    /// <summary><see cref="TcpConnection.Error"/> was set.</summary>
    Error = 16,

    /// <summary>The state changed (see <see cref="TcpConnection.LastTransition"/>).</summary>
    StateChanged = 32,

    /// <summary>An entry joined <see cref="TcpConnection.ErrorQueue"/> (or widened its tail): POLLERR, EPOLLERR's edge.</summary>
    ErrorQueued = 64,
}

/// <summary>One state change: from, to, and why (the RFC 9293 §3.3.2 diagram's arc label, roughly).</summary>
public readonly record struct TcpTransition(TcpState From, TcpState To, string Cause)
{
    public override string ToString() => $"{From} -> {To} ({Cause})";
}

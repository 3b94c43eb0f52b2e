namespace Stack.AspNetCore;

/// <summary>How <see cref="StackTransportFactory"/> serves Kestrel: the listen backlog and the pipes' limits.</summary>
public sealed class StackTransportOptions
{
    /// <summary>Connections waiting for Kestrel to accept them (listen()'s backlog).</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>
    /// Received bytes held for Kestrel before the transport stops reading from the connection (then the TCP
    /// receive window closes and the client waits): back-pressure. Kestrel's socket transport's default, 1 MiB.
    /// </summary>
    public long MaxReadBufferSize { get; set; } = 1024 * 1024;

    /// <summary>Response bytes Kestrel may have queued before its writes wait for the connection. Kestrel's default, 64 KiB.</summary>
    public long MaxWriteBufferSize { get; set; } = 64 * 1024;

    /// <summary>
    /// Runs each connection's two pumps (socket to input pipe, output pipe to socket) on the stack's event loop:
    /// a socket read or write completes there and its pump goes on there, with no thread hop; the one hop left
    /// per direction is to and from Kestrel's code on the thread pool. Off (false), the pumps run on the thread
    /// pool and every read and write crosses threads twice. On by default.
    /// </summary>
    public bool PumpOnLoop { get; set; } = true;

    /// <summary>
    /// TCP_NODELAY on every connection, as Kestrel's socket transport sets it by default: a response Kestrel writes
    /// in two pieces (headers, then body) goes at once instead of its second piece waiting, under Nagle, for the
    /// client's delayed ACK of the first (40 ms on Linux).
    /// </summary>
    public bool NoDelay { get; set; } = true;
}

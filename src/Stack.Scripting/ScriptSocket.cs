using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>
/// One descriptor of the runner's small fd table: a socket not yet connected (with the options set so far), a
/// listener or a connection, plus the per-descriptor state Linux keeps above TCP (O_NONBLOCK, SO_LINGER, whether
/// the pending error was reported, whether writing was shut down).
/// </summary>
internal sealed class ScriptSocket(int fd)
{
    public int Fd { get; } = fd;

    /// <summary>The configuration a later listen() or connect() uses; setsockopt changes it.</summary>
    public TcpConfig Config { get; set; } = TcpConfig.Default;

    public bool NonBlocking { get; set; }

    /// <summary>SO_ZEROCOPY: MSG_ZEROCOPY sends get completions (Linux's SOCK_ZEROCOPY; accepted sockets inherit it).</summary>
    public bool ZeroCopy { get; set; }

    public bool Bound { get; set; }

    public TcpListener? Listener { get; set; }

    public TcpConnection? Connection { get; set; }

    /// <summary>SO_LINGER as set: (onoff, linger seconds).</summary>
    public (long OnOff, long Seconds) Linger { get; set; }

    /// <summary>Integer options as last set, read back by getsockopt: (level, name) → value.</summary>
    public Dictionary<(long Level, long Name), long> Options { get; } = [];

    /// <summary>
    /// The connection's error was returned once (by connect, read, write or SO_ERROR): as Linux clears sk_err, later
    /// reads return 0 and writes EPIPE.
    /// </summary>
    public bool ErrorReported { get; set; }

    /// <summary>shutdown(SHUT_WR) or (SHUT_RDWR) was called.</summary>
    public bool WriteShut { get; set; }

    /// <summary>A blocking write found the send buffer full: it goes on only once the connection is writable again.</summary>
    public bool WriteWaitsForSpace { get; set; }

    /// <summary>The connection whose wakeups epoll items of this descriptor follow (hooked once).</summary>
    public TcpConnection? Watched { get; set; }

    /// <summary>The error not yet reported, if any.</summary>
    public System.Net.Sockets.SocketError? PendingError => ErrorReported ? null : Connection?.Error;
}

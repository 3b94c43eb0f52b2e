using Stack.Link.Time;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

/// <summary>
/// A listening endpoint (RFC 9293 LISTEN) with the two queues of seed §4.5: the incomplete queue (connections in
/// SYN-RECEIVED, their SYN-ACK retransmitted up to <see cref="TcpConfig.SynAckRetries"/> times, then dropped)
/// and the completed queue (ESTABLISHED, waiting for <see cref="TryAccept"/>). As Linux bounds them: the
/// incomplete queue at <see cref="Backlog"/> entries (inet_csk_reqsk_queue_is_full), the completed queue at one
/// more (sk_acceptq_is_full tests count &gt; backlog, so a backlog of 0 still takes a connection); when the
/// completed queue is full an arriving SYN is ignored, not reset, so the client retries. Data that arrives before accept waits in the connection's receive buffer.
/// When the incomplete queue is full (or the layer's half-open total is), SYNs are answered with SYN cookies
/// (see TcpListener.Cookies.cs), so a flood of spoofed SYNs cannot shut out real clients.
/// </summary>
public sealed partial class TcpListener
{
    private readonly TcpLayer _layer;
    private readonly HashSet<TcpConnection> _incomplete = [];
    private readonly Queue<TcpConnection> _completed = new();
    private TcpConfig _config;

    internal TcpListener(TcpLayer layer, TcpEndPoint local, int backlog, TcpConfig config)
    {
        _layer = layer;
        LocalEndPoint = local;
        // Linux __sys_listen: a backlog above net.core.somaxconn, or negative (compared unsigned), is somaxconn.
        Backlog = backlog < 0 || backlog > SoMaxConn ? SoMaxConn : backlog;
        _config = config;
        _fastOpenQueueLength = layer.FastOpen.DefaultQueueLength(Backlog);
    }

    public TcpEndPoint LocalEndPoint { get; }

    /// <summary>Linux's net.core.somaxconn default: the largest backlog listen() takes.</summary>
    public const int SoMaxConn = 4096;

    /// <summary>listen()'s backlog as Linux takes it (0 to <see cref="SoMaxConn"/>): the bound on the incomplete queue.</summary>
    public int Backlog { get; }

    /// <summary>
    /// The configuration connections get when they are made (a SYN arrives); changing it, as setsockopt on a
    /// listening socket does on Linux, applies to connections made afterwards.
    /// </summary>
    public TcpConfig Config
    {
        get => _config;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            _config = value;
        }
    }

    public bool IsClosed { get; private set; }

    /// <summary>Connections still in the handshake.</summary>
    public int IncompleteCount => _incomplete.Count;

    /// <summary>Connections ready for <see cref="TryAccept"/>.</summary>
    public int CompletedCount => _completed.Count;

    internal bool IsAcceptQueueFull => _completed.Count > Backlog; // Linux sk_acceptq_is_full.

    /// <summary>Called on the loop thread when the completed queue goes from empty to non-empty.</summary>
    public Action<TcpListener>? AcceptReady { get; set; }

    /// <summary>Takes the oldest completed connection, if any. It may already have been reset by the peer (see its Error).</summary>
    public bool TryAccept(out TcpConnection connection)
    {
        if (_completed.TryDequeue(out var c))
        {
            c.Listener = null;
            connection = c;
            return true;
        }
        connection = null!;
        return false;
    }

    /// <summary>Stops listening: queued connections are reset (completed) or forgotten (incomplete), as Linux does.</summary>
    public void Close(Instant now)
    {
        if (IsClosed)
        {
            return;
        }
        IsClosed = true;
        _layer.RemoveListener(this);
        foreach (var c in _incomplete.ToArray())
        {
            c.AbortFromListener(now);
        }
        _layer.HalfOpenCount -= _incomplete.Count;
        _incomplete.Clear();
        while (_completed.TryDequeue(out var c))
        {
            c.Listener = null;
            c.AbortFromListener(now);
        }
    }

    /// <summary>RFC 9293 §3.10.7.2: a segment for LISTEN (RST and ACK were handled by the layer).</summary>
    internal void OnSyn(in TcpHeader syn, in TcpOptions options, FourTuple tuple, SeqNum? isnFloor, Instant now)
    {
        if (IsAcceptQueueFull)
        {
            // Linux drops even when it could send a cookie: the application is not keeping up.
            Overflow(tuple);
            return;
        }
        bool full = _incomplete.Count >= Backlog || _layer.HalfOpenCount >= _layer.MaxHalfOpen;
        if (_layer.SynCookies == SynCookieMode.Always || (full && _layer.SynCookies == SynCookieMode.WhenFull))
        {
            SendCookie(syn, options, tuple, full, now);
            return;
        }
        if (full)
        {
            Overflow(tuple);
            return;
        }
        FastOpenAnswer fastOpen = ConsiderFastOpen(syn, options, tuple);
        var c = _layer.CreatePassive(this, tuple);
        _incomplete.Add(c);
        _layer.HalfOpenCount++;
        SeqNum iss = _layer.NextIsn(tuple, now);
        if (isnFloor is { } floor && iss <= floor)
        {
            iss = floor + 65535 + 2; // As Linux does for a connection replacing TIME-WAIT.
        }
        c.StartPassive(syn, options, iss, now, fastOpen);
        if (fastOpen.Accept && c.State == TcpState.SynReceived)
        {
            OpenFast(c);
        }
    }

    internal void OnChildEstablished(TcpConnection c)
    {
        ForgetHalfOpen(c);
        _completed.Enqueue(c);
        _layer.Statistics.Accepted++;
        if (_completed.Count == 1)
        {
            AcceptReady?.Invoke(this);
        }
    }

    internal void OnChildClosed(TcpConnection c)
    {
        // A completed connection stays queued even when reset: accept returns it and its Error says why.
        ForgetHalfOpen(c);
    }

    private void ForgetHalfOpen(TcpConnection c)
    {
        if (_incomplete.Remove(c))
        {
            _layer.HalfOpenCount--;
        }
    }

    private void Overflow(FourTuple tuple)
    {
        _layer.Statistics.ListenOverflows++;
        TcpLog.ListenOverflow(_layer.Log, LocalEndPoint, new TcpEndPoint(tuple.RemoteAddress, tuple.RemotePort));
    }
}

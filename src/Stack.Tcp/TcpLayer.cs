using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.IP;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Tcp.Buffers;
using Stack.Tcp.Diagnostics;
using Stack.Tcp.FastOpen;
using Stack.Tcp.Isn;
using Stack.Tcp.Ports;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

/// <summary>
/// TCP for one <see cref="IpHost"/>, sans-I/O: it checks arriving segments, hands them to the connection named by
/// their 4-tuple or to a listener, answers segments to nobody with a RST (within <see cref="RateLimits"/>), and runs
/// every connection's timers. Registers itself with the host for <see cref="IpProtocol.Tcp"/>. Everything runs on
/// the event loop thread.
/// </summary>
/// <remarks>
/// <para>Demultiplexing (RFC 9293 §3.3.1): the full 4-tuple first (a dictionary), then a listener bound to the
/// destination address, then a wildcard listener of the datagram's family.</para>
/// <para>Timers: a min-heap of (connection, deadline) with lazy deletion. A connection is (re)inserted only when
/// its earliest deadline moves earlier than the one it is queued under; when an entry comes due the connection
/// runs its due timers and is queued again under its real next deadline. Entries whose deadline no longer matches
/// the connection's are stale and skipped. So a deadline pushed later (the retransmission timer on every ACK)
/// costs nothing, and NextDeadline/OnTimer are O(log n) per due connection for thousands of connections.</para>
/// <para>Determinism: ISNs, ephemeral ports and timestamp offsets come from the injected
/// <see cref="IsnGenerator"/>, <see cref="EphemeralPorts"/> and <see cref="Random"/>; given those and the same
/// inputs and instants, the output is identical.</para>
/// </remarks>
public sealed partial class TcpLayer : IIpTransport
{
    private readonly Dictionary<FourTuple, TcpConnection> _connections = [];
    private readonly Dictionary<TcpEndPoint, TcpListener> _listeners = [];
    private readonly PriorityQueue<(TcpConnection Connection, int Generation), Instant> _timerQueue = new();
    private readonly Stack<TcpConnection> _pool = new();
    private readonly List<((TcpConnection, int), Instant)> _liveTimers = []; // CompactTimerQueue's, kept: it runs often.
    private readonly IsnGenerator _isn;
    private readonly SynCookieCodec _cookies;
    private readonly EphemeralPorts _ports;
    private readonly Random _random;
    private readonly byte[] _segment = new byte[65535];
    private TcpRateLimits _limits = TcpRateLimits.Default;
    private TokenBucket? _resets;
    private ChallengeAckBudget _challengeAcks;

    // Connect's ephemeral port search asks "is this port taken towards that peer?": a delegate made once over
    // these fields, so a connect allocates no closure.
    private readonly Func<ushort, bool> _portTaken;
    private (IpAddress Local, IpAddress Remote, ushort RemotePort) _portProbe;

    public TcpLayer(IIpNetwork host, IsnGenerator? isn = null, EphemeralPorts? ports = null, Random? random = null,
        ILogger? log = null)
    {
        Host = host ?? throw new ArgumentNullException(nameof(host));
        _isn = isn ?? new IsnGenerator();
        _random = random ?? Random.Shared;
        _ports = ports ?? new EphemeralPorts(random: _random);
        Log = log ?? NullLogger.Instance;
        _cookies = new SynCookieCodec(_isn);
        (_resets, _challengeAcks) = Limiters(_limits);
        _portTaken = PortTaken;
        host.Register(IpProtocol.Tcp, this);
    }

    /// <summary>The IP layer beneath: an <see cref="IpHost"/>, or a test's own network.</summary>
    public IIpNetwork Host { get; }

    public TcpStatistics Statistics { get; } = new();

    /// <summary>Connections in every state but CLOSED, TIME-WAIT included (its records: <see cref="TimeWaits"/>).</summary>
    public int ConnectionCount => _connections.Count + _timeWait.Count;

    /// <summary>
    /// Connections the user closed whose FIN is not yet acknowledged (FIN-WAIT-1, CLOSING, LAST-ACK): what a
    /// shutting-down server waits for before it lets the stack go.
    /// </summary>
    public int ClosingCount => _connections.Values.Count(c => c.State is TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck);

    /// <summary>
    /// Connections whose FIN is still to be sent or acknowledged: those closing (<see cref="ClosingCount"/>) and
    /// those not closed yet (SYN-RECEIVED, ESTABLISHED, CLOSE-WAIT), which a server shutting down is about to close.
    /// </summary>
    public int PendingFinCount => _connections.Values.Count(c => c.State is TcpState.SynReceived or TcpState.Established
        or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck);

    /// <summary>
    /// The connections in the 4-tuple table, for inspection (<c>ss</c>); TIME-WAIT is in <see cref="TimeWaits"/>.
    /// Read on the loop only, and not across a call that may add or remove one.
    /// </summary>
    public IEnumerable<TcpConnection> Connections => _connections.Values;

    /// <summary>The open listeners (a snapshot: for inspection, as <c>ss -l</c> lists them).</summary>
    public IReadOnlyList<TcpListener> Listeners => [.. _listeners.Values];

    /// <summary>The default configuration of connections and listeners given none.</summary>
    public TcpConfig DefaultConfig { get; init; } = TcpConfig.Default;

    /// <summary>
    /// Raised when a connection is made (by Connect, or by a listener for an arriving SYN), before its first state
    /// change, so an observer can subscribe to <see cref="TcpConnection.StateChanged"/> from CLOSED or LISTEN on.
    /// </summary>
    public event Action<TcpConnection>? ConnectionCreated;

    /// <summary>
    /// Set by a multi-queue stack (StackShards): offered each segment that finds no connection here and is not a
    /// SYN a listener here takes, before a RST answers it (<see cref="DatagramHandOff"/>).
    /// </summary>
    public DatagramHandOff? HandOff { get; set; }

    /// <summary>When listeners answer SYNs with cookies (Linux net.ipv4.tcp_syncookies). Default: when full.</summary>
    public SynCookieMode SynCookies { get; set; } = SynCookieMode.WhenFull;

    /// <summary>TCP Fast Open (RFC 7413): modes and the server's cookie key, Linux's tcp_fastopen sysctls.</summary>
    public TcpFastOpen FastOpen { get; set; } = new();

    /// <summary>The Fast Open client's per-server memory: cookies, MSS and lost SYN-data (Linux's tcp metrics).</summary>
    public FastOpenCache FastOpenCache { get; } = new();

    /// <summary>
    /// The cap on half-open (SYN-RECEIVED) connections across every listener, on top of each listener's own
    /// backlog (Linux net.ipv4.tcp_max_syn_backlog; 1024 is its default on small machines). Beyond it SYNs get
    /// cookies, or are dropped when cookies are off.
    /// </summary>
    public int MaxHalfOpen { get; init; } = 1024;

    /// <summary>
    /// How many released connections the layer keeps for reuse (TcpConnection.Pool.cs): a connection whose owner
    /// called <see cref="TcpConnection.Release"/> starts a later connection's life once it is done, so steady
    /// connection churn allocates nothing. 0 turns pooling off. The default holds a burst of a thousand closes;
    /// an idle pooled connection holds no buffers (about 2 KB each).
    /// </summary>
    public int ConnectionPoolSize { get; set; } = 1024;

    /// <summary>How often RSTs, ACKs to invalid segments and challenge ACKs may go (see <see cref="TcpRateLimits"/>).</summary>
    public TcpRateLimits RateLimits
    {
        get => _limits;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            _limits = value;
            (_resets, _challengeAcks) = Limiters(value);
        }
    }

    /// <summary>Half-open connections of every listener now.</summary>
    public int HalfOpenCount { get; internal set; }

    internal SynCookieCodec Cookies => _cookies;

    internal ILogger Log { get; }

    /// <summary>
    /// listen(): a listener on <paramref name="local"/> (unspecified = every address of that family) and
    /// <paramref name="port"/> (0 = an ephemeral port).
    /// </summary>
    /// <exception cref="SocketException">
    /// AddressAlreadyInUse when another listener, or a connection (with <see cref="TcpConfig.ReuseAddress"/>, only
    /// one without it that is not in TIME-WAIT), holds the port; AddressNotAvailable when the address is not ours.
    /// </exception>
    public TcpListener Listen(IpAddress local, ushort port, int backlog, TcpConfig? config = null)
    {
        config ??= DefaultConfig;
        config.Validate();
        if (!local.IsUnspecified && !Host.IsLocal(local))
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
        if (port == 0 && !_ports.TryAllocateRandom(p => PortInUse(local, p, config.ReuseAddress), out port))
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
        if (PortInUse(local, port, config.ReuseAddress))
        {
            throw new SocketException((int)SocketError.AddressAlreadyInUse);
        }
        var listener = new TcpListener(this, new TcpEndPoint(local, port), backlog, config);
        _listeners.Add(listener.LocalEndPoint, listener);
        CountListener(listener.LocalEndPoint, +1);
        return listener;
    }

    /// <summary>
    /// bind() to port 0: an ephemeral port free on <paramref name="local"/> now, chosen at random as for a
    /// listener, so getsockname shows it at once (Linux inet_csk_get_port). The port is taken by the Listen or
    /// Connect that follows; until then it is not held.
    /// </summary>
    /// <exception cref="SocketException">AddressNotAvailable when no port is free.</exception>
    public ushort ChooseBindPort(IpAddress local, bool reuseAddress) =>
        _ports.TryAllocateRandom(p => PortInUse(local, p, reuseAddress), out ushort port)
            ? port
            : throw new SocketException((int)SocketError.AddressNotAvailable);

    /// <summary>
    /// connect(): a connection in SYN-SENT, its SYN sent. <paramref name="local"/> null picks the source address
    /// for the route; <paramref name="localPort"/> 0 picks an ephemeral port (RFC 6056 algorithm 4). Completion
    /// is signalled through <see cref="TcpConnection.Notify"/> (Connected, or Error with ConnectionRefused,
    /// TimedOut, HostUnreachable, NetworkUnreachable).
    /// </summary>
    /// <exception cref="SocketException">
    /// NetworkUnreachable (no route or source address), AddressNotAvailable (no free port, or not our address),
    /// AddressAlreadyInUse (the 4-tuple exists).
    /// </exception>
    public TcpConnection Connect(IpAddress? local, ushort localPort, IpAddress remote, ushort remotePort, TcpConfig? config,
        Instant now) => Connect(local, localPort, remote, remotePort, config, now, fastOpen: false);

    /// <summary>
    /// connect() as <see cref="Connect(IpAddress?, ushort, IpAddress, ushort, TcpConfig?, Instant)"/>; with
    /// <paramref name="fastOpen"/> a Fast Open client (RFC 7413, Linux's MSG_FASTOPEN and TCP_FASTOPEN_CONNECT):
    /// with a cookie for the server (or none needed), the SYN waits for the first <see cref="TcpConnection.Send(ReadOnlySpan{byte}, Instant)"/>
    /// to carry its data (<see cref="TcpConnection.IsSynDeferred"/>); without one, the SYN goes now and asks for one.
    /// </summary>
    public TcpConnection Connect(IpAddress? local, ushort localPort, IpAddress remote, ushort remotePort, TcpConfig? config,
        Instant now, bool fastOpen)
    {
        config ??= DefaultConfig;
        config.Validate();
        if (remote.IsUnspecified || remote.IsMulticast || remotePort == 0)
        {
            throw new ArgumentException($"Cannot connect to {new TcpEndPoint(remote, remotePort)}: give a unicast address and a port.", nameof(remote));
        }
        if (!Host.CanReach(remote))
        {
            throw new SocketException((int)SocketError.NetworkUnreachable);
        }
        IpAddress source = local is { IsUnspecified: false } l ? l
            : Host.SelectSource(remote) ?? throw new SocketException((int)SocketError.NetworkUnreachable);
        if (!Host.IsLocal(source) || source.IsIpv6 != remote.IsIpv6)
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
        if (localPort == 0)
        {
            Span<byte> s = stackalloc byte[16];
            Span<byte> r = stackalloc byte[16];
            int n = Write(source, s);
            Write(remote, r);
            _portProbe = (source, remote, remotePort);
            if (!_ports.TryAllocate(s[..n], r[..n], remotePort, _portTaken, out localPort))
            {
                throw new SocketException((int)SocketError.AddressNotAvailable);
            }
        }
        var tuple = new FourTuple(source, localPort, remote, remotePort);
        if (_connections.ContainsKey(tuple) || _timeWait.ContainsKey(tuple))
        {
            throw new SocketException((int)SocketError.AddressAlreadyInUse);
        }
        var c = NewConnection(config, tuple, passive: false, TimestampOffset(tuple));
        AddConnection(tuple, c);
        Statistics.ActiveOpens++;
        RaiseCreated(c);
        c.StartConnect(NextIsn(tuple, now), now, fastOpen);
        return c;
    }

    /// <summary>
    /// The connection with this 4-tuple, if any (for tests and diagnostics); in TIME-WAIT, its connection object
    /// while an owner holds it.
    /// </summary>
    public TcpConnection? Find(TcpEndPoint local, TcpEndPoint remote)
    {
        var tuple = new FourTuple(local.Address, local.Port, remote.Address, remote.Port);
        return _connections.GetValueOrDefault(tuple) ?? _timeWait.GetValueOrDefault(tuple)?.Owner;
    }

    /// <summary>
    /// The ECN field of the datagram being handled (RFC 3168 §5), for the connection or listener it reaches: set on
    /// entry to <see cref="OnDatagram"/>, only read beneath it.
    /// </summary>
    internal byte ReceivedEcn { get; private set; }

    /// <summary>
    /// The segment size of the datagram being handled when the link handed it over as a receive-offload aggregate
    /// (<see cref="IpDatagram.SegmentSize"/>), else 0: set on entry to <see cref="OnDatagram"/>, only read beneath it.
    /// As Linux's virtio_net_hdr_to_skb, "too small packets are not really GSO ones": the size counts only when
    /// what follows the fixed TCP header is longer than it.
    /// </summary>
    internal int ReceivedSegmentSize { get; private set; }

    public void OnDatagram(in IpDatagram datagram, Instant now)
    {
        ReceivedEcn = datagram.Ecn;
        int size = datagram.SegmentSize;
        ReceivedSegmentSize = size > 0 && datagram.Payload.Length - TcpHeader.MinLength > size ? size : 0;
        if (datagram.IsToGroup)
        {
            Reject(RejectReason.BadAddress); // RFC 9293 §3.9.1.3 / RFC 1122 §4.2.3.10: TCP is unicast only.
            return;
        }
        var payload = datagram.Payload;
        ulong pseudo = PseudoHeader(datagram.Source, datagram.Destination, payload.Length);
        if (!TcpHeader.TryParse(payload, pseudo, out var h, out var reason))
        {
            Statistics.InErrors++;
            if (reason == RejectReason.BadChecksum) Statistics.ChecksumErrors++;
            Reject(reason);
            return;
        }
        if (h.SourcePort == 0 || h.DestinationPort == 0)
        {
            Reject(RejectReason.BadField);
            return;
        }
        Statistics.SegmentsReceived++;
        TcpOptions options = h.ParseOptions();
        var tuple = new FourTuple(datagram.Destination, h.DestinationPort, datagram.Source, h.SourcePort);
        TcpFlags flags = h.Flags;
        bool bareSyn = (flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn;

        SeqNum? isnFloor = null;
        TcpTimeWait? tw = null;
        if (!_connections.TryGetValue(tuple, out var c))
        {
            _timeWait.TryGetValue(tuple, out tw);
        }
        if (options.HasMd5Signature && tw is null)
        {
            // RFC 2385 §2.0 / Linux tcp_inbound_md5_hash: a signed segment for a socket with no MD5 key (here none
            // has one) is dropped unanswered: no RST either (tcp_v4_send_reset finds no key). Linux checks no
            // signatures in TIME-WAIT.
            Statistics.Md5Unexpected++;
            Reject(RejectReason.BadOption);
            return;
        }
        if (c is not null)
        {
            c.OnSegment(h, options, now);
            return;
        }
        if (tw is not null)
        {
            if (!(bareSyn && tw.AcceptsNewIncarnation(h, options) && FindListener(datagram.Destination, h.DestinationPort) is not null))
            {
                tw.OnSegment(h, options, now);
                return;
            }
            // RFC 9293 §3.10.7.4 / RFC 6191: a new SYN beyond the old incarnation ends TIME-WAIT early.
            isnFloor = tw.SndMax;
            Statistics.TimeWaitRecycled++;
            EndTimeWait(tw, now, "new incarnation (SYN in TIME-WAIT)", error: null);
        }

        var listener = FindListener(datagram.Destination, h.DestinationPort);
        bool cookieTried = false;
        if (c is null && listener is not null && HandOff is not null && (flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Ack)
        {
            // A multi-queue stack: the ACK of a SYN cookie this shard sent completes here (only this shard's key
            // checks it) before the segment goes looking for a connection on another shard.
            if (listener.OnCookieAck(h, options, tuple, now)) return;
            cookieTried = true;
        }
        // A multi-queue stack: a segment of no connection here may belong to another shard's (the kernel steered
        // it to the wrong queue), and a SYN no listener here takes may find one there. Only a SYN that a listener
        // here takes stays: whoever gets the SYN owns the connection, as with Linux's SO_REUSEPORT.
        if (c is null && (listener is null || !bareSyn) && HandOff is { } handOff && handOff(datagram))
        {
            Statistics.HandedOff++;
            return;
        }
        if (listener is null)
        {
            Reject(RejectReason.NoListener);
            SendResetFor(tuple, h, now);
            return;
        }
        // RFC 9293 §3.10.7.2: LISTEN.
        if ((flags & TcpFlags.Rst) != 0)
        {
            return;
        }
        if ((flags & TcpFlags.Ack) != 0)
        {
            if ((flags & TcpFlags.Syn) == 0 && !cookieTried && listener.OnCookieAck(h, options, tuple, now))
            {
                return;
            }
            ReplyReset(tuple, new SeqNum(h.AcknowledgmentNumber), default, TcpFlags.Rst, now);
            return;
        }
        if ((flags & TcpFlags.Syn) != 0)
        {
            listener.OnSyn(h, options, tuple, isnFloor, now);
        }
    }

    /// <summary>Whether a connection or TIME-WAIT record here has the four-tuple the error quotes (asked by a multi-queue stack).</summary>
    public bool ClaimsIcmpError(in IcmpError error) =>
        !TryQuotedTuple(error, out var tuple, out _) || _connections.ContainsKey(tuple) || _timeWait.ContainsKey(tuple);

    public void OnIcmpError(in IcmpError error, Instant now)
    {
        if (!TryQuotedTuple(error, out var tuple, out uint seq))
        {
            return;
        }
        if (_connections.TryGetValue(tuple, out var c))
        {
            c.OnIcmpError(error.Kind, error.Mtu, new SeqNum(seq), now);
        }
        else if (_timeWait.TryGetValue(tuple, out var tw))
        {
            OnTimeWaitIcmpError(tw, error, new SeqNum(seq), now);
        }
    }

    /// <summary>The four-tuple (ours, as we sent it) and sequence number an ICMP error quotes.</summary>
    private static bool TryQuotedTuple(in IcmpError error, out FourTuple tuple, out uint seq)
    {
        bool read = TcpHeader.TryReadPortsAndSeq(error.QuotedTransport, out ushort sourcePort, out ushort destinationPort, out seq);
        tuple = new FourTuple(error.Source, sourcePort, error.Destination, destinationPort);
        return read;
    }

    public Instant NextDeadline
    {
        get
        {
            while (_timerQueue.TryPeek(out var entry, out var at))
            {
                if (IsCurrent(entry, at))
                {
                    return Instant.Min(at, NextTimeWaitDeadline);
                }
                _timerQueue.Dequeue(); // Stale: the connection moved on or is gone.
            }
            return NextTimeWaitDeadline;
        }
    }

    public void OnTimer(Instant now)
    {
        while (_timerQueue.TryPeek(out var entry, out var at) && at <= now)
        {
            _timerQueue.Dequeue();
            if (!IsCurrent(entry, at))
            {
                continue;
            }
            var c = entry.Connection;
            c.ScheduledAt = Instant.Never;
            c.OnTimer(now); // Reschedules itself on the way out.
        }
        OnTimeWaitTimer(now);
    }

    /// <summary>Queues <paramref name="c"/> under its next deadline if that is earlier than the one it is queued under.</summary>
    internal void Reschedule(TcpConnection c)
    {
        Instant next = c.State == TcpState.Closed ? Instant.Never : c.NextDeadline;
        if (next < c.ScheduledAt)
        {
            c.ScheduledAt = next;
            _timerQueue.Enqueue((c, c.Generation), next);
            if (_timerQueue.Count > 4 * (_connections.Count + 16))
            {
                CompactTimerQueue();
            }
        }
    }

    /// <summary>
    /// An entry of the connection's present life and deadline: not one left behind when the deadline moved, the
    /// connection closed, or (pooled) it was queued in an earlier life.
    /// </summary>
    private static bool IsCurrent((TcpConnection Connection, int Generation) entry, Instant at) =>
        entry.Connection.Generation == entry.Generation && entry.Connection.ScheduledAt == at
        && entry.Connection.State != TcpState.Closed;

    /// <summary>Drops stale entries when they outnumber live ones, so the heap stays O(connections).</summary>
    private void CompactTimerQueue()
    {
        var live = _liveTimers;
        foreach (var (entry, at) in _timerQueue.UnorderedItems)
        {
            if (IsCurrent(entry, at))
            {
                live.Add((entry, at));
            }
        }
        _timerQueue.Clear();
        _timerQueue.EnqueueRange(live);
        live.Clear();
    }

    internal TcpConnection CreatePassive(TcpListener listener, FourTuple tuple)
    {
        var c = NewConnection(listener.Config, tuple, passive: true, TimestampOffset(tuple));
        c.Listener = listener;
        AddConnection(tuple, c);
        Statistics.PassiveOpens++;
        RaiseCreated(c);
        return c;
    }

    /// <summary>A pooled connection starting its next life, or a new one when the pool is empty.</summary>
    internal TcpConnection NewConnection(TcpConfig config, FourTuple tuple, bool passive, uint tsOffset)
    {
        if (_pool.TryPop(out var c))
        {
            c.Open(config, tuple, passive, tsOffset);
            Statistics.ConnectionsReused++;
            return c;
        }
        return new TcpConnection(this, config, tuple, passive, tsOffset);
    }

    /// <summary>Takes a released connection that is done into the pool; false when pooling is off or the pool full.</summary>
    internal bool TryPool(TcpConnection c)
    {
        if (_pool.Count >= ConnectionPoolSize)
        {
            return false;
        }
        _pool.Push(c);
        return true;
    }

    /// <summary>Connections waiting in the pool for their next life.</summary>
    public int PooledConnections => _pool.Count;

    /// <summary>
    /// Raises ConnectionCreated. A handler that throws takes the unstarted connection out of the table again, so
    /// its 4-tuple is not held for ever by a connection that answers nothing; the exception goes on to the caller.
    /// </summary>
    private void RaiseCreated(TcpConnection c)
    {
        try
        {
            ConnectionCreated?.Invoke(c);
        }
        catch
        {
            Untable(c);
            throw;
        }
    }

    /// <summary>The connection's timestamp offset: one per pair of addresses (<see cref="IsnGenerator.TimestampOffset"/>).</summary>
    internal uint TimestampOffset(FourTuple tuple)
    {
        Span<byte> l = stackalloc byte[16];
        Span<byte> r = stackalloc byte[16];
        int n = Write(tuple.LocalAddress, l);
        Write(tuple.RemoteAddress, r);
        return _isn.TimestampOffset(l[..n], r[..n]);
    }

    internal SeqNum NextIsn(FourTuple tuple, Instant now)
    {
        Span<byte> l = stackalloc byte[16];
        Span<byte> r = stackalloc byte[16];
        int n = Write(tuple.LocalAddress, l);
        Write(tuple.RemoteAddress, r);
        return _isn.Next(l[..n], tuple.LocalPort, r[..n], tuple.RemotePort, now);
    }

    /// <summary>The connection table's capacity, for tests that it shrinks after a burst.</summary>
    internal int ConnectionTableCapacity => _connections.Capacity;

    internal void OnClosed(TcpConnection c) => RemoveConnection(c);

    /// <summary>
    /// Takes <paramref name="c"/> out of the 4-tuple table, if it is the one there (a connection object that left
    /// in TIME-WAIT may close after a new incarnation took its tuple).
    /// </summary>
    private void RemoveConnection(TcpConnection c)
    {
        if (!_connections.TryGetValue(c.Tuple, out var there) || there != c)
        {
            return;
        }
        Untable(c);
        // Tables shrink after a burst (thousands of connections through TIME-WAIT, a flood): a dictionary keeps
        // its high-water capacity otherwise. A quarter full gives hysteresis, so a steady load never resizes.
        if (_connections.Capacity > 1024 && _connections.Count < _connections.Capacity / 4)
        {
            _connections.TrimExcess(_connections.Count * 2);
            if (_timerQueue.Count > 2 * (_connections.Count + 16))
            {
                CompactTimerQueue();
            }
            _timerQueue.TrimExcess();
        }
    }

    internal void RemoveListener(TcpListener listener)
    {
        if (_listeners.TryGetValue(listener.LocalEndPoint, out var there) && there == listener)
        {
            _listeners.Remove(listener.LocalEndPoint);
            CountListener(listener.LocalEndPoint, -1);
        }
    }

    /// <summary>
    /// Builds one segment in the layer's buffer — header, options, and <paramref name="length"/> bytes copied
    /// once out of <paramref name="data"/> at <paramref name="offset"/> — and hands it to IP. False when the
    /// link's local queue dropped it (Linux: tcp_transmit_skb failing with NET_XMIT_DROP): it never left.
    /// </summary>
    internal bool Transmit(FourTuple tuple, in TcpRepr repr, SendBuffer? data, int offset, int length, Instant now, byte ecn = 0,
        byte dscp = 0, bool dontFragment = true)
    {
        int headerLength = repr.HeaderLength;
        Span<byte> segment = _segment.AsSpan(0, headerLength + length);
        if (length > 0)
        {
            data!.CopyOut(offset, segment[headerLength..]);
        }
        repr.WriteHeaderInPlace(segment, length, PseudoHeader(tuple.LocalAddress, tuple.RemoteAddress, segment.Length), Host.TcpChecksumOffload);
        Statistics.SegmentsSent++;
        if ((repr.Flags & TcpFlags.Rst) != 0)
        {
            Statistics.ResetsSent++;
        }
        // RFC 1191 / RFC 8201: TCP segments carry DF and fit the path MTU; a packet-too-big lowers the MSS.
        return Host.Send(tuple.LocalAddress, tuple.RemoteAddress, IpProtocol.Tcp, segment, now, dontFragment: dontFragment,
            trafficClass: (byte)((dscp & ~3) | (ecn & 3))) != SendResult.Dropped;
    }

    /// <summary>Sends a bare RST (or RST+ACK) on <paramref name="tuple"/>: window 0, no options.</summary>
    internal void SendReset(FourTuple tuple, SeqNum seq, SeqNum ack, TcpFlags flags, Instant now, TcpOptions options = default)
    {
        var repr = new TcpRepr(tuple.LocalPort, tuple.RemotePort, seq.Value,
            (flags & TcpFlags.Ack) != 0 ? ack.Value : 0, flags, 0, options);
        Transmit(tuple, repr, null, 0, 0, now);
    }

    /// <summary>RFC 9293 §3.10.7.1: the reply to a segment for no connection; never a RST for a RST.</summary>
    private void SendResetFor(FourTuple tuple, in TcpHeader h, Instant now)
    {
        if ((h.Flags & TcpFlags.Rst) != 0)
        {
            return;
        }
        bool sent = (h.Flags & TcpFlags.Ack) != 0
            ? ReplyReset(tuple, new SeqNum(h.AcknowledgmentNumber), default, TcpFlags.Rst, now)
            : ReplyReset(tuple, new SeqNum(0), new SeqNum(h.SequenceNumber) + h.SegmentLength, TcpFlags.Rst | TcpFlags.Ack, now);
        if (sent)
        {
            TcpLog.ResetNoConnection(Log, new TcpEndPoint(tuple.RemoteAddress, tuple.RemotePort), tuple.LocalPort);
        }
    }

    /// <summary>
    /// A RST in reply to a segment that no connection takes (or that a handshake refuses), within
    /// <see cref="TcpRateLimits.ResetsPerSecond"/>: FreeBSD's badport_bandlim, not Linux, which sends them all.
    /// </summary>
    /// <returns>False when the limit held it back (counted in <see cref="TcpStatistics.ResetsRateLimited"/>).</returns>
    internal bool ReplyReset(FourTuple tuple, SeqNum seq, SeqNum ack, TcpFlags flags, Instant now)
    {
        if (_resets is { } bucket && !bucket.TryTake(now))
        {
            Statistics.ResetsRateLimited++;
            return false;
        }
        SendReset(tuple, seq, ack, flags, now);
        return true;
    }

    /// <summary>Takes one challenge ACK from the layer's budget of this second (Linux tcp_challenge_ack_limit).</summary>
    internal bool TryTakeChallengeAck(Instant now) => _challengeAcks.TryTake(now);

    private (TokenBucket?, ChallengeAckBudget) Limiters(TcpRateLimits limits) => (
        limits.ResetsPerSecond is int r ? new TokenBucket(r, limits.ResetBurst) : null,
        new ChallengeAckBudget(limits.ChallengeAcksPerSecond, _random));

    private TcpListener? FindListener(IpAddress local, ushort port)
    {
        if (_listeners.TryGetValue(new TcpEndPoint(local, port), out var specific))
        {
            return specific;
        }
        return _listeners.GetValueOrDefault(new TcpEndPoint(local.IsIpv6 ? IpAddress.AnyV6 : IpAddress.AnyV4, port));
    }

    private bool PortTaken(ushort port)
    {
        var tuple = new FourTuple(_portProbe.Local, port, _portProbe.Remote, _portProbe.RemotePort);
        return _connections.ContainsKey(tuple) || _timeWait.ContainsKey(tuple) || ListenerOnPort(port);
    }

    private void Reject(RejectReason reason)
    {
        Host.Rejects.Count(Layer.Tcp, reason);
        TcpLog.Rejected(Log, reason);
    }

    private static ulong PseudoHeader(IpAddress source, IpAddress destination, int length) =>
        source.IsIpv6
            ? InternetChecksum.PseudoHeader(source.V6, destination.V6, (byte)IpProtocol.Tcp, length)
            : InternetChecksum.PseudoHeader(source.V4, destination.V4, (byte)IpProtocol.Tcp, length);

    private static int Write(IpAddress address, Span<byte> destination)
    {
        if (address.IsIpv6)
        {
            address.V6.Write(destination);
            return 16;
        }
        address.V4.Write(destination);
        return 4;
    }
}

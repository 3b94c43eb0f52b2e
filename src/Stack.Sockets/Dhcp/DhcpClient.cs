using Stack.IP.Routing;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Sockets.Dhcp.Wire;

namespace Stack.Sockets.Dhcp;

/// <summary>
/// A DHCPv4 client (RFC 2131, options of RFC 2132) for one interface, sans-I/O: it is handed messages, ARP
/// packets and the time, and answers through its <see cref="IDhcpHost"/> (messages to send, ARP probes, a lease
/// to apply or withdraw). It never reads a clock. Called only on the stack's loop.
/// </summary>
/// <remarks>
/// Driving it: <see cref="Start"/> once; then <see cref="OnMessage"/> for each datagram to port 68,
/// <see cref="OnArp"/> for each ARP packet from another host, and <see cref="OnTimer"/> whenever
/// <see cref="NextDeadline"/> has come. <see cref="Lease"/>, <see cref="State"/> and <see cref="Statistics"/> read
/// the result; <see cref="Changed"/> tells of each new, renewed or lost lease.
/// <para>
/// Differences from the RFC, as Linux's clients (ISC dhclient, systemd-networkd) do: the first DISCOVER goes out
/// at once, not after RFC 2131 §4.4.1's random 1-10 s; the first OFFER is taken; an acknowledged address is
/// ARP-probed per RFC 5227 (systemd-networkd's IPv4 ACD) before it is used.
/// </para>
/// </remarks>
public sealed partial class DhcpClient
{
    private readonly DhcpClientOptions _options;
    private readonly IDhcpHost _host;
    private readonly Random _random;
    private readonly byte[] _tx = new byte[DhcpRequest.MaxLength];

    /// <summary>The transaction id of the exchange in progress (RFC 2131 §4.1: random, kept by retransmissions).</summary>
    private uint _xid;

    /// <summary>When the client began this acquisition or renewal: the secs field counts from here.</summary>
    private Instant _secsStart;

    /// <summary>When the first REQUEST of this exchange went out: the lease's times count from here (RFC 2131 §4.4.1).</summary>
    private Instant _requestSent;

    /// <summary>Messages sent in this exchange.</summary>
    private int _attempts;

    /// <summary>When the next message of the current state is due.</summary>
    private Instant _sendAt = Instant.Never;

    /// <summary>The OFFER taken in SELECTING, answered in REQUESTING.</summary>
    private DhcpReply? _offer;

    /// <summary>The address asked for: from an earlier lease (INIT-REBOOT, or a hint in DISCOVER).</summary>
    private Ipv4Address? _requested;

    /// <summary>NAKs in a row: after the first the client backs off before it starts again.</summary>
    private int _naks;

    public DhcpClient(DhcpClientOptions options, IDhcpHost host)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _host = host ?? throw new ArgumentNullException(nameof(host));
        _random = options.Random;
        _requested = options.PreviousAddress;
    }

    public DhcpState State { get; private set; } = DhcpState.Stopped;

    /// <summary>The lease in force (BOUND, RENEWING, REBINDING), or null.</summary>
    public DhcpLease? Lease { get; private set; }

    public DhcpStatistics Statistics { get; } = new();

    /// <summary>Raised on the loop when a lease is taken, extended, or lost.</summary>
    public event Action<DhcpEvent>? Changed;

    /// <summary>The earliest instant <see cref="OnTimer"/> has work.</summary>
    public Instant NextDeadline => Instant.Min(Instant.Min(_sendAt, _probeAt), LeaseDeadline);

    /// <summary>
    /// Starts acquiring: INIT-REBOOT when <see cref="DhcpClientOptions.PreviousAddress"/> names an earlier lease,
    /// else INIT. The first message is due at <paramref name="now"/>: it leaves with the next <see cref="OnTimer"/>.
    /// </summary>
    public void Start(Instant now)
    {
        if (State != DhcpState.Stopped) throw new InvalidOperationException($"The DHCP client is already running ({State}).");
        Transition(_requested is null ? DhcpState.Init : DhcpState.InitReboot);
        _sendAt = now;
    }

    /// <summary>
    /// Gives the lease back (DHCPRELEASE to its server, RFC 2131 §4.4.6), withdraws the address and stops.
    /// Without a lease it just stops.
    /// </summary>
    public void Release(Instant now)
    {
        if (Lease is { } lease)
        {
            _xid = NewXid();
            Send(new DhcpRequest(DhcpMessageType.Release, _xid, _host.Mac)
            {
                ClientAddress = lease.Address.Address.V4,
                ServerIdentifier = lease.Server,
            }, lease.Server, now);
            Lose(DhcpEventKind.Released, now);
        }
        Transition(DhcpState.Stopped);
        _sendAt = Instant.Never;
        _probeAt = Instant.Never;
        _candidate = null;
    }

    /// <summary>Runs what is due: lease expiry, T2, T1, the address check, (re)transmissions.</summary>
    public void OnTimer(Instant now)
    {
        // Each step moves a deadline past now or changes state; the bound only guards against a defect.
        for (int step = 0; step < 16; step++)
        {
            if (Lease is { } lease)
            {
                if (now >= lease.ExpiresAt)
                {
                    Statistics.Expiries++;
                    Lose(DhcpEventKind.Expired, now);
                    _requested = lease.Address.Address.V4; // RFC 2131 §4.4.1: a DISCOVER may suggest the old address.
                    Restart(now);
                    continue;
                }
                if (State == DhcpState.Bound && now >= lease.RenewAt)
                {
                    BeginExchange(DhcpState.Renewing, now);
                    continue;
                }
                if (State == DhcpState.Renewing && now >= lease.RebindAt)
                {
                    BeginExchange(DhcpState.Rebinding, now);
                    continue;
                }
            }
            if (now >= _probeAt)
            {
                ProbeStep(now);
                continue;
            }
            if (now >= _sendAt)
            {
                Transmit(now);
                continue;
            }
            return;
        }
    }

    /// <summary>T1, T2 or the expiry, whichever the state waits for next.</summary>
    private Instant LeaseDeadline => Lease is not { } lease ? Instant.Never : State switch
    {
        DhcpState.Bound => lease.RenewAt,
        DhcpState.Renewing => Instant.Min(lease.RebindAt, lease.ExpiresAt),
        DhcpState.Rebinding => lease.ExpiresAt,
        _ => Instant.Never,
    };

    /// <summary>A new exchange with a new transaction id, its first message due now.</summary>
    private void BeginExchange(DhcpState state, Instant now)
    {
        Transition(state);
        _xid = NewXid();
        _secsStart = now;
        _attempts = 0;
        _sendAt = now;
    }

    /// <summary>Back to INIT: a DISCOVER goes out at <paramref name="at"/>.</summary>
    private void Restart(Instant at)
    {
        Transition(DhcpState.Init);
        _offer = null;
        _sendAt = at;
    }

    /// <summary>Withdraws the lease in force and tells of it.</summary>
    private void Lose(DhcpEventKind kind, Instant now)
    {
        if (Lease is not { } lease) return;
        Lease = null;
        _host.Withdraw(lease, now);
        Changed?.Invoke(new DhcpEvent(kind, lease, now));
    }

    /// <summary>Every change of state goes through here (STYLE: transitions are data).</summary>
    private void Transition(DhcpState next)
    {
        LastTransition = (State, next);
        State = next;
    }

    /// <summary>The last change of state, old and new: for logs and tests.</summary>
    public (DhcpState From, DhcpState To) LastTransition { get; private set; }

    private uint NewXid() => (uint)_random.NextInt64(0, 1L << 32);

    /// <summary>A uniformly random time in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    private TimeSpan Between(TimeSpan min, TimeSpan max) =>
        min + TimeSpan.FromTicks((long)(_random.NextDouble() * Math.Max(0, (max - min).Ticks)));

    /// <summary>A host may have this address: not 0/8, loopback, multicast, class E or the broadcast (RFC 1122 §3.2.1.3).</summary>
    internal static bool IsHostAddress(Ipv4Address a) =>
        (a.Value >> 24) != 0 && !a.IsLoopback && !a.IsMulticast && (a.Value >> 28) != 0xF;

    /// <summary>The prefix of the address's class, for a server that sent no subnet mask (RFC 2131 leaves it to the client; dhclient does this).</summary>
    internal static int ClassfulPrefix(Ipv4Address a) => (a.Value >> 31) == 0 ? 8 : (a.Value >> 30) == 2 ? 16 : 24;

    internal static InterfaceAddress AddressOf(DhcpReply reply) =>
        new(reply.YourAddress, reply.PrefixLength ?? ClassfulPrefix(reply.YourAddress));
}

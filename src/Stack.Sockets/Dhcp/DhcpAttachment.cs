using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.IP;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Sockets.Dhcp.Wire;
using Stack.Udp;

namespace Stack.Sockets.Dhcp;

/// <summary>
/// Runs a <see cref="DhcpClient"/> on a stack: its messages over the stack's UDP (port 68, sent from 0.0.0.0
/// until there is an address), its probes over the host's ARP, its timers with the host's, and its lease applied
/// to the host (the address with its on-link prefix, the default router). Created and used on the loop only;
/// <see cref="Lease"/> and <see cref="DnsServers"/> may be read from any thread.
/// </summary>
public sealed class DhcpAttachment : IDhcpHost, IHostClient, IDisposable
{
    /// <summary>Room for the largest datagram a server may send us (IP reassembles up to 64 KiB).</summary>
    private const int ReceiveBufferSize = 65536;

    private readonly IpHost _host;
    private readonly UdpLayer _udp;
    private readonly UdpEndpoint _endpoint;
    private readonly ILogger _log;
    private readonly byte[] _rx = new byte[ReceiveBufferSize];
    private volatile DhcpLease? _lease;
    private bool _readable;

    private DhcpAttachment(IpHost host, UdpLayer udp, UdpEndpoint endpoint, DhcpClientOptions options, ILogger log)
    {
        _host = host;
        _udp = udp;
        _endpoint = endpoint;
        _log = log;
        Client = new DhcpClient(options, this);
        Client.Changed += OnChanged;
    }

    /// <summary>
    /// Binds UDP port 68, hooks ARP and the host's timers, and starts the client: its first message goes out at
    /// <paramref name="now"/> (or, before the link is up, with the host's first timer run).
    /// </summary>
    /// <exception cref="InvalidOperationException">Port 68 is taken.</exception>
    public static DhcpAttachment Start(IpHost host, UdpLayer udp, DhcpClientOptions options, Instant now, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(udp);
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = udp.Open(AddressFamily.InterNetwork);
        var bound = udp.Bind(endpoint, IpAddress.AnyV4, DhcpLayout.ClientPort);
        if (bound != SocketError.Success)
        {
            udp.Close(endpoint);
            throw new InvalidOperationException($"The DHCP client cannot bind UDP port {DhcpLayout.ClientPort}: {bound}.");
        }
        var attachment = new DhcpAttachment(host, udp, endpoint, options, log ?? NullLogger.Instance);
        // A datagram is taken from the queue with the loop's time at the next timer run, straight after the frame.
        endpoint.Readable = _ => attachment._readable = true;
        host.Arp.Seen += attachment.Client.OnArp;
        host.AddClient(attachment);
        attachment.Client.Start(now);
        return attachment;
    }

    public DhcpClient Client { get; }

    /// <summary>The lease in force, or null; readable from any thread.</summary>
    public DhcpLease? Lease => _lease;

    /// <summary>The DNS servers of the lease in force (option 6), for a resolver; empty without one.</summary>
    public IReadOnlyList<Ipv4Address> DnsServers => _lease?.DnsServers ?? [];

    /// <summary>Raised on the loop when a lease is taken, extended or lost (after the host has been changed).</summary>
    public event Action<DhcpEvent>? Changed;

    public MacAddress Mac => _host.Mac;

    public Instant NextDeadline => _readable ? Instant.Zero : Client.NextDeadline;

    public void OnTimer(Instant now)
    {
        if (_readable)
        {
            _readable = false;
            while (_endpoint.TryReceive(_rx, out _, out int length)) Client.OnMessage(_rx.AsSpan(0, length), now);
        }
        if (Client.NextDeadline <= now) Client.OnTimer(now);
    }

    public void Send(ReadOnlySpan<byte> message, Ipv4Address destination, Instant now)
    {
        var result = _udp.SendTo(_endpoint, destination, DhcpLayout.ServerPort, message, now);
        if (result != SocketError.Success) DhcpLog.SendFailed(_log, destination, result);
    }

    public void Probe(Ipv4Address address, Instant now) => _host.Arp.Probe(address);

    public void Apply(DhcpLease lease, DhcpLease? previous, Instant now)
    {
        if (previous is not null && previous.Address != lease.Address) Withdraw(previous, now);
        _host.AddAddress(lease.Address, now);
        if (previous is { Routers.Count: > 0 } && _host.Routes.GatewayV4 == previous.Routers[0]) _host.Routes.GatewayV4 = null;
        if (lease.Routers.Count > 0) _host.Routes.GatewayV4 = lease.Routers[0];
        _lease = lease;
    }

    public void Withdraw(DhcpLease lease, Instant now)
    {
        _lease = null;
        if (lease.Routers.Count > 0 && _host.Routes.GatewayV4 == lease.Routers[0]) _host.Routes.GatewayV4 = null;
        _host.RemoveAddress(lease.Address.Address, now);
    }

    public void Rejected(DhcpRejectReason reason)
    {
        _host.Rejects.Count(Layer.Dhcp, reason switch
        {
            DhcpRejectReason.Truncated => RejectReason.Truncated,
            DhcpRejectReason.NotAReply or DhcpRejectReason.BadHardwareType or DhcpRejectReason.BadMagicCookie => RejectReason.BadField,
            DhcpRejectReason.WrongXid or DhcpRejectReason.WrongClientAddress or DhcpRejectReason.WrongServer => RejectReason.NotForUs,
            DhcpRejectReason.UnexpectedMessage => RejectReason.UnsupportedType,
            DhcpRejectReason.BadYourAddress => RejectReason.BadAddress,
            _ => RejectReason.BadOption,
        });
        DhcpLog.Rejected(_log, reason);
    }

    private void OnChanged(DhcpEvent e)
    {
        DhcpLog.Changed(_log, e.Kind, e.Lease);
        Changed?.Invoke(e);
    }

    /// <summary>Stops the client (without a release), unbinds port 68 and unhooks it from the host. On the loop.</summary>
    public void Dispose()
    {
        _host.RemoveClient(this);
        _host.Arp.Seen -= Client.OnArp;
        _udp.Close(_endpoint);
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.IP;
using Stack.Link.Devices;
using Stack.Link.Devices.Impairment;
using Stack.Link.Devices.Pcap;
using Stack.Link.Loop;
using Stack.Link.Time;
using Stack.Sockets.Dns;
using Stack.Tcp;
using Stack.Tcp.Isn;
using Stack.Tcp.Ports;
using Stack.Udp;

namespace Stack.Sockets.Hosting;

/// <summary>
/// A running stack: one link device, the event loop that owns it, and the protocol layers on top. Everything an
/// application does to the stack goes through <see cref="Loop"/>.
/// </summary>
public sealed class StackInstance : IDisposable
{
    private StackInstance(string name, ILinkDevice device, IpHost host, UdpLayer udp, TcpLayer tcp, EventLoop loop)
    {
        Name = name;
        Device = device;
        Host = host;
        Udp = udp;
        Tcp = tcp;
        Loop = loop;
        Dns = new DnsResolver(this);
    }

    public string Name { get; }
    public ILinkDevice Device { get; }
    public IpHost Host { get; }

    /// <summary>The UDP layer; touched only on <see cref="Loop"/> (the socket API does that for applications).</summary>
    public UdpLayer Udp { get; }

    /// <summary>The TCP layer; touched only on <see cref="Loop"/> (the socket API does that for applications).</summary>
    public TcpLayer Tcp { get; }
    public EventLoop Loop { get; }

    /// <summary>
    /// The stack's DNS stub resolver (<see cref="DnsResolver.ResolveAsync"/>), over its own UDP and TCP; callable from
    /// any thread. Its servers come from <see cref="StackOptions.Dns"/> and <see cref="DnsResolver.SetServers"/>.
    /// </summary>
    public DnsResolver Dns { get; }

    /// <summary>
    /// The DHCPv4 client when <see cref="StackOptions.Dhcp"/> asked for one, else null. Its <c>Lease</c> and
    /// <c>DnsServers</c> may be read from any thread; subscribe to <c>Changed</c> in the start's configure step
    /// (it is raised on the loop). On a multi-queue stack only shard 0 has one (<see cref="StackShards"/>).
    /// </summary>
    public Stack.Sockets.Dhcp.DhcpAttachment? Dhcp { get; private set; }

    /// <summary>
    /// Opens the link <paramref name="options"/> name (inside its impairment, with the pcap trace next to the stack,
    /// so the trace shows what the stack really sent and got), builds the layers and starts the loop; see
    /// <see cref="Start(string, ILinkDevice, IpHostOptions, TimeProvider?, ILoggerFactory?, TcpConfig?, Action{StackInstance}?)"/>
    /// for <paramref name="configure"/>. Disposing the instance stops the loop and closes the link and the trace.
    /// </summary>
    /// <exception cref="ArgumentException">An option cannot work (<see cref="StackOptions.Validate"/>).</exception>
    /// <exception cref="LinkDeviceException">The link cannot be opened (no TAP permission, no such interface).</exception>
    public static StackInstance Start(StackOptions options, Action<StackInstance>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logs = options.Logs ?? NullLoggerFactory.Instance;
        var time = options.Time ?? TimeProvider.System;
        var device = options.Link.Open(options.Mtu, logs);
        try
        {
            if (options.Impairment is { IsNone: false } impair) device = new ImpairedDevice(device, impair);
            if (options.PcapFile is { } path) device = new TracingDevice(device, new PcapWriter(File.Create(path)), time);
        }
        catch
        {
            device.Dispose();
            throw;
        }
        var name = options.Name ?? options.Link.Name;
        var host = options.ToHostOptions();
        var (first, last) = options.LocalPortRange;
        return Start(name, device, host, time, logs, options.Tcp, s =>
        {
            s.ApplyLoopOptions(options);
            s.StartConfiguration(options.Dhcp, logs, () => s.ShareDnsServers([s.Dns]));
            configure?.Invoke(s);
        }, new EphemeralPorts(first, last, host.Random));
    }

    /// <summary>
    /// In the configure step, before the application's: DNS servers from router advertisements (RDNSS, RFC 8106)
    /// and DHCP (option 6) reach the resolvers as they come and go (<paramref name="dnsChanged"/> gives them to this
    /// stack's, or to every shard's), and the DHCP client starts when <paramref name="dhcp"/> asks for one. It binds port 68 before the
    /// application's configure step, which may subscribe to its events; its first DISCOVER leaves with the loop's
    /// first timer run, once the link is up.
    /// </summary>
    internal void StartConfiguration(Stack.Sockets.Dhcp.DhcpClientOptions? dhcp, ILoggerFactory logs, Action dnsChanged)
    {
        if (Host.Autoconf is { } autoconf) autoconf.Changed += _ => dnsChanged();
        if (dhcp is null) return;
        Dhcp = Stack.Sockets.Dhcp.DhcpAttachment.Start(Host, Udp, dhcp, Loop.Now, logs.CreateLogger($"stack.{Name}.dhcp"));
        Dhcp.Changed += _ => dnsChanged();
    }

    /// <summary>Gives <paramref name="resolvers"/> the DNS servers autoconfiguration and DHCP have now (a resolver takes them on any thread).</summary>
    internal void ShareDnsServers(IReadOnlyList<DnsResolver> resolvers)
    {
        var ra = Host.Autoconf?.DnsServers.Select(d => d.Address.ToIPAddress()).ToArray();
        var dhcp = Dhcp?.DnsServers.Select(d => d.ToIPAddress()).ToArray();
        foreach (var resolver in resolvers)
        {
            if (ra is not null) resolver.SetServers(DnsServerSource.RouterAdvertisement, ra);
            if (dhcp is not null) resolver.SetServers(DnsServerSource.Dhcp, dhcp);
        }
    }

    /// <summary>
    /// What a stack's loop takes from <paramref name="options"/> in its configure step: the busy-poll budget and the
    /// resolver's settings. The one place both a single stack (<see cref="Start(StackOptions, Action{StackInstance}?)"/>)
    /// and every shard of <see cref="StackShards"/> set them, so a new loop setting reaches both.
    /// </summary>
    internal void ApplyLoopOptions(StackOptions options)
    {
        Loop.BusyPoll = options.BusyPoll;
        Dns.Options = options.Dns;
    }

    /// <summary>
    /// Builds the layers on <paramref name="device"/> and starts the loop. <paramref name="tcp"/> is the TCP
    /// configuration sockets start from (default <see cref="TcpConfig.Default"/>; tests shorten the MSL with it).
    /// </summary>
    /// <remarks>
    /// Start is two steps: the layers are built, then <paramref name="configure"/> (when given) runs on the loop
    /// thread before the loop reads a frame or the stack announces itself on the link, then the link comes up.
    /// Whatever a program serves belongs in <paramref name="configure"/> (bind its UDP endpoints, listen, e.g.
    /// <c>configure: s => services = ServiceHost.Start(s, names)</c>): a socket bound after Start returns races the
    /// first packets, which meet port unreachable or a RST. On the loop thread socket calls that touch only loop
    /// state (Bind, Listen, options) run inline; those that wait for the network throw there, and
    /// <paramref name="configure"/> must not block. Start returns once it has run and rethrows what it threw,
    /// after disposing the stack.
    /// </remarks>
    public static StackInstance Start(string name, ILinkDevice device, IpHostOptions options,
        TimeProvider? time = null, ILoggerFactory? logs = null, TcpConfig? tcp = null, Action<StackInstance>? configure = null) =>
        Start(name, device, options, time, logs, tcp, configure, ports: null);

    /// <summary>
    /// As the public overload, with the local ports from <paramref name="ports"/> (<see cref="StackOptions.LocalPortRange"/>,
    /// or a shard's slice of it, <see cref="StackShards"/>): the TCP layer's, and UDP's range too.
    /// </summary>
    internal static StackInstance Start(string name, ILinkDevice device, IpHostOptions options,
        TimeProvider? time, ILoggerFactory? logs, TcpConfig? tcp, Action<StackInstance>? configure, EphemeralPorts? ports)
    {
        ArgumentNullException.ThrowIfNull(device);
        logs ??= NullLoggerFactory.Instance;
        var host = new IpHost(options, device, logs.CreateLogger($"stack.{name}"));
        var udp = UdpLayer.Attach(host, options.Random, logs.CreateLogger($"stack.{name}.udp"));
        if (ports is not null) udp.EphemeralRange = (ports.First, ports.Last);
        var tcpLayer = new TcpLayer(host, new IsnGenerator(), ports ?? new EphemeralPorts(random: options.Random), options.Random,
            logs.CreateLogger($"stack.{name}.tcp"))
        {
            DefaultConfig = tcp ?? TcpConfig.Default,
        };
        var loop = new EventLoop(device, time, logs.CreateLogger($"stack.{name}.loop"));
        var instance = new StackInstance(name, device, host, udp, tcpLayer, loop);
        try
        {
            loop.Start(host, configure is null ? null : _ => configure(instance));
            instance.Metrics = Diagnostics.StackMetrics.Create(instance);
        }
        catch
        {
            loop.Dispose();
            throw;
        }
        return instance;
    }

    /// <summary>
    /// The addresses of <paramref name="host"/> through <see cref="Dns"/>: of <paramref name="family"/>, or IPv6 then
    /// IPv4 when null; a literal address as it is.
    /// </summary>
    /// <exception cref="DnsResolveException">The name has no address (NXDOMAIN, NODATA) or no server answered.</exception>
    public ValueTask<IReadOnlyList<System.Net.IPAddress>> ResolveAsync(string host, System.Net.Sockets.AddressFamily? family = null,
        CancellationToken cancellationToken = default) => Dns.ResolveAsync(host, family, cancellationToken);

    /// <summary>Runs <paramref name="work"/> on the loop and returns its result.</summary>
    public Task<T> InvokeAsync<T>(Func<IpHost, Instant, T> work) => Loop.InvokeAsync(now => work(Host, now));

    /// <summary>The stack's System.Diagnostics.Metrics instruments (meter "Stack"), disposed with it.</summary>
    public Diagnostics.StackMetrics? Metrics { get; private set; }

    public void Dispose()
    {
        Metrics?.Dispose();
        Loop.Dispose();
    }
}

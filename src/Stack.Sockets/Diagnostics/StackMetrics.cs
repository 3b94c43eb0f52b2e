using System.Diagnostics.Metrics;
using Stack.IP;
using Stack.Link.Diagnostics;
using Stack.Sockets.Hosting;
using Stack.Tcp;

namespace Stack.Sockets.Diagnostics;

/// <summary>
/// The stack's <see cref="System.Diagnostics.Metrics"/> instruments: one <see cref="Meter"/> named
/// <see cref="MeterName"/> per <see cref="StackInstance"/>, tagged <c>stack.name</c> with the instance's name, so
/// <c>dotnet-counters monitor -n stack --counters Stack</c> and any OpenTelemetry exporter
/// (<c>AddMeter("Stack")</c>) see them with no code of ours. Made by <see cref="StackInstance.Start(string, Link.Devices.ILinkDevice, IpHostOptions, TimeProvider?, Microsoft.Extensions.Logging.ILoggerFactory?, TcpConfig?, Action{StackInstance}?)"/>
/// and disposed with the instance. docs/metrics.md lists the instruments.
/// </summary>
/// <remarks>
/// <para>Every instrument is observable: the stack counts in plain fields on its event loop, as it always has, and
/// the collector's callback reads them when it asks, on its own thread. Nothing is added to the hot path.</para>
/// <para>Threads: the callbacks read 64-bit counters the loop writes, without a lock. Such a read is not torn on
/// the 64-bit platforms .NET 10 runs the stack on, and at worst misses the increments of the last instants; two
/// counters read one after the other need not be from the same instant. That is fine for a rate or a total. The
/// connections by state are not counted by walking the connection table (which belongs to the loop and must not
/// be walked off it): TCP keeps a gauge per state that each transition moves (<see cref="TcpStatistics.InState"/>),
/// so the callback reads numbers, not the table. Anything that needs the table goes through the loop
/// (<see cref="StackCounters.Read(StackInstance)"/> via <c>Loop.InvokeAsync</c>).</para>
/// </remarks>
public sealed class StackMetrics : IDisposable
{
    /// <summary>The meter's name, for <c>dotnet-counters --counters</c> and OpenTelemetry's <c>AddMeter</c>.</summary>
    public const string MeterName = "Stack";

    private static readonly TcpState[] States =
        [.. Enum.GetValues<TcpState>().Where(s => s is not (TcpState.Closed or TcpState.Listen))];

    private static readonly string[] StateNames = [.. Enum.GetValues<TcpState>().Select(LinuxName)];
    private static readonly Layer[] Layers = Enum.GetValues<Layer>();
    private static readonly RejectReason[] Reasons = Enum.GetValues<RejectReason>();
    private static readonly string[] LayerNames = [.. Layers.Select(l => SnakeCase(l.ToString()))];
    private static readonly string[] ReasonNames = [.. Reasons.Select(r => SnakeCase(r.ToString()))];

    private static readonly KeyValuePair<string, object?> Receive = new("network.io.direction", "receive");
    private static readonly KeyValuePair<string, object?> Transmit = new("network.io.direction", "transmit");
    private static readonly KeyValuePair<string, object?> Ipv4 = new("network.type", "ipv4");
    private static readonly KeyValuePair<string, object?> Ipv6 = new("network.type", "ipv6");

    private readonly StackInstance _stack;

    private StackMetrics(StackInstance stack)
    {
        _stack = stack;
        Meter = new Meter(new MeterOptions(MeterName)
        {
            Version = typeof(StackMetrics).Assembly.GetName().Version?.ToString(),
            Tags = [new("stack.name", stack.Name)],
        });
        var tcp = stack.Tcp.Statistics;
        var ip = stack.Host.Statistics;
        var udp = stack.Udp.Statistics;
        Meter.CreateObservableUpDownCounter("stack.tcp.connections", ObserveConnections, "{connection}",
            "TCP connections by state (tag tcp.state: Linux's names, as ss prints them)");
        Meter.CreateObservableCounter("stack.tcp.bytes", () => Pair(tcp.BytesReceived, tcp.BytesSent), "By",
            "TCP payload bytes: received in sequence, each once; sent, retransmissions included");
        Meter.CreateObservableCounter("stack.tcp.segments", () => Pair(tcp.SegmentsReceived + tcp.InErrors, tcp.SegmentsSent),
            "{segment}", "TCP segments received (Linux InSegs) and sent (OutSegs)");
        Meter.CreateObservableCounter("stack.tcp.retransmissions", () => tcp.Retransmissions, "{segment}",
            "TCP segments retransmitted (Linux RetransSegs)");
        Meter.CreateObservableCounter("stack.tcp.resets", () => Pair(tcp.ResetsReceived, tcp.ResetsSent), "{segment}",
            "TCP RSTs received and sent");
        Meter.CreateObservableCounter("stack.ip.packets", () => ObserveIp(ip), "{packet}",
            "IP packets received from the link (InReceives) and handed to IP to send (OutRequests), by family");
        Meter.CreateObservableCounter("stack.udp.datagrams", () => Pair(udp.DatagramsReceived, udp.DatagramsSent), "{datagram}",
            "UDP datagrams delivered to a socket and sent");
        Meter.CreateObservableCounter("stack.rejections", ObserveRejections, "{packet}",
            "Packets turned away, by the layer whose rule they broke and why (tags layer, reason)");
    }

    /// <summary>The instance's meter (for a <see cref="MeterListener"/> that wants this stack's instruments only).</summary>
    public Meter Meter { get; }

    /// <summary>Makes the meter of <paramref name="stack"/>; <see cref="StackInstance"/> does this when it starts.</summary>
    public static StackMetrics Create(StackInstance stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return new StackMetrics(stack);
    }

    private static Measurement<long>[] Pair(long received, long sent) => [new(received, Receive), new(sent, Transmit)];

    private static Measurement<long>[] ObserveIp(IpStatistics ip) =>
    [
        new(ip.Ipv4Received, Ipv4, Receive), new(ip.Ipv4OutRequests, Ipv4, Transmit),
        new(ip.Ipv6Received, Ipv6, Receive), new(ip.Ipv6OutRequests, Ipv6, Transmit),
    ];

    private IEnumerable<Measurement<long>> ObserveConnections()
    {
        var tcp = _stack.Tcp.Statistics;
        foreach (var state in States)
            yield return new(tcp.InState(state), new KeyValuePair<string, object?>("tcp.state", StateNames[(int)state]));
    }

    /// <summary>Only the (layer, reason) pairs that happened: most of the hundreds of pairs never do.</summary>
    private IEnumerable<Measurement<long>> ObserveRejections()
    {
        var rejects = _stack.Host.Rejects;
        foreach (var layer in Layers)
            foreach (var reason in Reasons)
                if (rejects[layer, reason] is var n and > 0)
                    yield return new(n, new("layer", LayerNames[(int)layer]), new("reason", ReasonNames[(int)reason]));
    }

    /// <summary>ss's state names: ESTAB is "established", SYN-SENT "syn-sent" and so on (lowercase, as ss's filters spell them).</summary>
    private static string LinuxName(TcpState state) => state switch
    {
        TcpState.SynSent => "syn-sent",
        TcpState.SynReceived => "syn-recv",
        TcpState.FinWait1 => "fin-wait-1",
        TcpState.FinWait2 => "fin-wait-2",
        TcpState.CloseWait => "close-wait",
        TcpState.LastAck => "last-ack",
        TcpState.TimeWait => "time-wait",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    public void Dispose() => Meter.Dispose();
}

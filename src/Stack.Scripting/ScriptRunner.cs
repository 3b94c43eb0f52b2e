using System.Globalization;
using Stack.Scripting.Shell;
using Stack.IP;
using Stack.IP.Routing;
using Stack.IP.Wire;
using Stack.Link.Devices;
using Stack.Link.Time;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tcp.Isn;
using Stack.Tcp.Ports;
using Stack.Tcp.Wire;
using ArpOperation = Stack.Link.Wire.ArpOperation;

namespace Stack.Scripting;

/// <summary>
/// Runs a packetdrill script against one fresh stack (an <see cref="IpHost"/> and a <see cref="TcpLayer"/>), sans-I/O,
/// on a virtual clock: it never sleeps and never starts a thread, so a script spanning a 60 s TIME-WAIT runs in
/// milliseconds, and the same script gives the same transcript every time.
/// </summary>
/// <remarks>
/// <para>The script is the remote host: 192.0.2.1 (2001:db8::1), port <see cref="ScriptPort"/> when the stack
/// listens, <see cref="ServerPort"/> when the stack connects. The stack is 192.0.2.2 (2001:db8::2); a socket bound
/// with <c>bind</c> gets port <see cref="ServerPort"/>. Sequence numbers are relative, as in packetdrill: the
/// script's SYN says its ISN (offset by <see cref="ScriptIsn"/> on the wire) and later lines count from it; the
/// stack's is learned from its SYN (0 before any), whatever the script's SYN line writes for it.</para>
/// <para>Every TCP segment the stack sends must match the next <c>&gt;</c> line, in its time window; a segment no
/// line takes is an "unexpected packet" at the end. ARP and neighbour discovery are answered out of sight.</para>
/// </remarks>
public sealed partial class ScriptRunner : IFrameTransmitter
{
    /// <summary>The script's port when the stack is the server.</summary>
    public const ushort ScriptPort = 40000;

    /// <summary>The server port: the stack's after <c>bind</c>, the script's for the stack's <c>connect</c>.</summary>
    public const ushort ServerPort = 8080;

    /// <summary>The script's absolute ISN: its relative sequence number 0.</summary>
    public const uint ScriptIsn = 1_000_000;

    public static readonly MacAddress StackMac = new(0x0200_0000_0002UL);
    public static readonly MacAddress ScriptMac = new(0x0200_0000_0001UL);
    public static readonly Ipv4Address StackV4 = Ipv4Address.Parse("192.0.2.2");
    public static readonly Ipv4Address ScriptV4 = Ipv4Address.Parse("192.0.2.1");
    public static readonly Ipv6Address StackV6 = Ipv6Address.Parse("2001:db8::2");
    public static readonly Ipv6Address ScriptV6 = Ipv6Address.Parse("2001:db8::1");

    /// <summary>Script time 0 on the stack's clock (not 0, so nothing mistakes it for "unset").</summary>
    private static readonly Instant Origin = Instant.FromMilliseconds(1000);

    /// <summary>Virtual time a <c>*</c> line may wait for its packet.</summary>
    private const long AnyTimeLimitMicroseconds = 600_000_000;

    private readonly Script _script;
    private readonly ScriptIpVersion _family;
    private readonly Ipv4Address _stack4;
    private readonly Ipv4Address _script4;
    private readonly Ipv6Address _stack6;
    private readonly Ipv6Address _script6;
    private readonly long _tolerance;
    private readonly IpHost _host;
    private readonly TcpLayer _tcp;
    private readonly Queue<byte[]> _frames = new();
    private readonly Queue<CapturedSegment> _segments = new();
    private readonly List<string> _transcript = [];
    private readonly List<ScriptTraceEvent> _trace = [];
    private Instant _now = Origin;
    private uint _stackIsn;

    /// <summary>The sequence number the script's SYN line gave (0 in most scripts).</summary>
    private uint _peerIsn;
    private ushort _scriptPort = ScriptPort;
    private ushort _stackPort = ServerPort;

    // packetdrill gives each connection a listener under test accepts its own remote port: the first one the
    // port it picked at start (ScriptPort), each later one the next (run_packet.c, next_ephemeral_port). So a
    // second listener on the same port, as in a script that closes one and listens again, does not meet the
    // first one's connection on the same 4-tuple.
    private bool _awaitingPassiveSyn;
    private int _passiveOpens;
    private int _line;
    private SysctlState _sysctls = SysctlState.Linux;

    private ScriptRunner(Script script, ScriptIpVersion family)
    {
        _script = script;
        _family = family;
        _tolerance = script.Settings.ToleranceMicroseconds;
        // --local_ip / --remote_ip replace the addresses of their family (the link is virtual: any address is safe).
        var settings = script.Settings;
        _stack4 = settings.LocalAddress is { IsIpv4: true } l4 ? l4.V4 : StackV4;
        _script4 = settings.RemoteAddress is { IsIpv4: true } r4 ? r4.V4 : ScriptV4;
        _stack6 = settings.LocalAddress is { IsIpv6: true } l6 ? l6.V6 : StackV6;
        _script6 = settings.RemoteAddress is { IsIpv6: true } r6 ? r6.V6 : ScriptV6;
        int mtu = settings.Mtu ?? 1500;
        _host = new IpHost(new IpHostOptions
        {
            Mac = StackMac,
            // 20 more on IPv6 so that the MSS is the same in both families and one script fits both (see README).
            Mtu = family == ScriptIpVersion.Ipv6 ? mtu + 20 : mtu,
            // The script's address is on-link whatever the two addresses are: the prefix is what they share.
            Addresses = [new InterfaceAddress(_stack4, SharedPrefix(_stack4, _script4, 24)), new InterfaceAddress(_stack6, SharedPrefix(_stack6, _script6, 64))],
            Random = new Random(7),
        }, this);
        var random = new Random(42);
        var key = new byte[16];
        _tcp = new TcpLayer(_host, new IsnGenerator(key), new EphemeralPorts(key, random: random), random)
        {
            DefaultConfig = TcpConfig.Default,
        };
        ApplySysctls();
        _tcp.ConnectionCreated += c => c.StateChanged += (conn, t) => _trace.Add(new TracedStateChange(ScriptNow,
            conn.LocalEndPoint.Port, conn.RemoteEndPoint.Port, t.From, t.To, t.Cause));
        _host.Arp.Cache.LearnUnsolicited(_script4, ScriptMac, _now);
        _host.Ndp.Cache.LearnUnsolicited(_script6, ScriptMac, _now);
    }

    /// <summary>The leading bits two addresses share, at most <paramref name="max"/>.</summary>
    private static int SharedPrefix(IpAddress a, IpAddress b, int max) => Math.Min(max, a.IsIpv6
        ? (int)UInt128.LeadingZeroCount(a.V6.Value ^ b.V6.Value)
        : System.Numerics.BitOperations.LeadingZeroCount(a.V4.Value ^ b.V4.Value));

    /// <summary>Parses and runs a file. Throws <see cref="ScriptParseException"/> when it does not parse.</summary>
    public static ScriptResult RunFile(string path, ScriptIpVersion? ipVersion = null) =>
        Run(ScriptParser.ParseFile(path), ipVersion);

    /// <summary>Runs <paramref name="script"/> on a fresh stack, in <paramref name="ipVersion"/> or the script's own family.</summary>
    public static ScriptResult Run(Script script, ScriptIpVersion? ipVersion = null)
    {
        ArgumentNullException.ThrowIfNull(script);
        var runner = new ScriptRunner(script, ipVersion ?? script.Settings.IpVersion);
        ScriptFailure? failure = null;
        try
        {
            runner.RunEvents();
        }
        catch (ScriptFailureException e)
        {
            failure = e.Failure;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // A call the stack refused in a way no errno describes: a failure at the line, not a crash.
            failure = new ScriptFailure(script.File, runner._line, $"the stack threw {e.GetType().Name}: {e.Message}");
        }
        if (failure is not null) runner._transcript.Add($"{Seconds(runner.ScriptNow)} FAILED {failure}");
        return new ScriptResult(script.File, runner._family, failure, runner._transcript,
            TimeSpan.FromTicks(runner.ScriptNow * TimeSpan.TicksPerMicrosecond))
        {
            Trace = runner._trace,
        };
    }

    private IpAddress StackAddress => _family == ScriptIpVersion.Ipv6 ? _stack6 : _stack4;
    private IpAddress ScriptAddress => _family == ScriptIpVersion.Ipv6 ? _script6 : _script4;

    /// <summary>Microseconds since the script started.</summary>
    private long ScriptNow => _now.Microseconds - Origin.Microseconds;

    private static Instant At(long scriptMicroseconds) => new(Origin.Microseconds + scriptMicroseconds);

    private void RunEvents()
    {
        foreach (var w in _script.Warnings) _transcript.Add($"{Seconds(0)} {w}");
        long reference = 0;
        foreach (var e in _script.Events)
        {
            _line = e.Line;
            switch (e)
            {
                case PacketEvent { Direction: PacketDirection.In } p:
                    reference = StartOf(p, reference);
                    AdvanceTo(reference);
                    Inject(p);
                    break;
                case PacketEvent p:
                    reference = ExpectSegment(p, reference);
                    break;
                case IcmpEvent icmp:
                    reference = StartOf(icmp, reference);
                    AdvanceTo(reference);
                    InjectIcmp(icmp);
                    break;
                case SyscallEvent s:
                    long previous = reference;
                    reference = StartOf(s, reference);
                    AdvanceTo(reference);
                    RunSyscall(s, reference, previous);
                    break;
                case ShellCommandEvent c:
                    reference = StartOf(c, reference);
                    AdvanceTo(reference);
                    RunShellCommand(c);
                    break;
                case CodeEvent code:
                    reference = StartOf(code, reference);
                    AdvanceTo(reference);
                    TakeTcpInfo(code);
                    break;
            }
        }
        FinishBlockingCall();
        Settle();
        // As packetdrill: the stack's segments are checked against `>` lines only; what it sent after the last one
        // taken is listed here, not a failure (Linux's own scripts leave out the ACKs they do not care about).
        while (_segments.TryDequeue(out var extra))
            _transcript.Add($"{Seconds(extra.Time)} > {extra.Segment} (after the script's last packet line: not checked)");
        RunCode();
    }

    /// <summary>
    /// A shell line, read and never run (<see cref="ScriptShell"/>): its sysctls set what sockets made after it
    /// get, as on Linux; what has no counterpart here is noted in the transcript.
    /// </summary>
    private void RunShellCommand(ShellCommandEvent c)
    {
        _transcript.Add($"{Seconds(ScriptNow)} {c.FormatAction()}");
        var outcome = ScriptShell.Read(c.Command, Path.GetDirectoryName(Path.GetFullPath(_script.File)));
        foreach (var (name, value) in outcome.Sysctls)
        {
            if (LinuxSysctls.Apply(ref _sysctls, name, value) is { } note)
                _transcript.Add($"{Seconds(ScriptNow)} unsupported: {note}");
        }
        foreach (var note in outcome.Unsupported)
            _transcript.Add($"{Seconds(ScriptNow)} unsupported: {note}");
        if (outcome.FlushMetrics) _tcp.FastOpenCache.Clear();
        if (outcome.QdiscDropsAll is bool drops) _qdiscDropsAll = drops;
        if (outcome.FqQdisc is bool fq) _sysctls = _sysctls with { Config = _sysctls.Config with { FqPacing = fq } };
        foreach (var (path, size) in outcome.Files) SetFile(path, size);
        foreach (var route in outcome.Routes) ApplyRoute(route);
        ApplySysctls();
    }

    private void ApplySysctls()
    {
        _tcp.SynCookies = _sysctls.SynCookies;
        _tcp.FastOpen.Modes = _sysctls.FastOpen;
        if (_sysctls.FastOpenKey is { } key) _tcp.FastOpen.Key = key;
        _tcp.FastOpen.BackupKey = _sysctls.FastOpenBackupKey;
    }

    /// <summary>When a non-packet-expectation event happens: its start, or now for <c>*</c> and ranges.</summary>
    private long StartOf(ScriptEvent e, long reference) => e.Time.Kind switch
    {
        ScriptTimeKind.Any => ScriptNow,
        ScriptTimeKind.Range => Math.Max(ScriptNow, e.Time.Start.Resolve(reference)),
        _ => e.Time.Start.Resolve(reference),
    };

    // ---- Packets ------------------------------------------------------------------------------------------------

    private void Inject(PacketEvent p)
    {
        bool syn = (p.Flags & TcpFlags.Syn) != 0;
        if (syn) _peerIsn = p.StartSeq.Value;
        if (syn && (p.Flags & TcpFlags.Ack) == 0 && _awaitingPassiveSyn)
        {
            _awaitingPassiveSyn = false;
            _scriptPort = (ushort)(ScriptPort + _passiveOpens++);
        }
        var segment = InboundSegment.From(WithCookies(WithLiveTsEcr(p)), _scriptPort, _stackPort, PeerIsnFor(syn), _stackIsn);
        int length = segment.SegmentLength;
        var h = segment.Header;
        _trace.Add(new TracedSegment(ScriptNow, TraceDirection.ToStack, ActualSegment.FromWire(h.Flags, h.SequenceNumber,
            h.AcknowledgmentNumber, h.Window, segment.PayloadLength, [.. segment.OptionBytes], PeerIsnFor(syn), _stackIsn,
            h.UrgentPointer), _scriptPort, _stackPort));
        byte[] frame;
        if (_family == ScriptIpVersion.Ipv6)
        {
            frame = new byte[EthernetFrame.HeaderLength + Ipv6Header.Length + length];
            EthernetFrame.WriteHeader(frame, StackMac, ScriptMac, EtherType.Ipv6);
            var ip = frame.AsSpan(EthernetFrame.HeaderLength);
            new Ipv6Repr(_script6, _stack6, IpProtocol.Tcp, length, TrafficClass: p.Ip.TrafficClass).Write(ip);
            segment.Write(ip[Ipv6Header.Length..], InternetChecksum.PseudoHeader(_script6, _stack6, (byte)IpProtocol.Tcp, length));
        }
        else
        {
            frame = new byte[EthernetFrame.HeaderLength + Ipv4Header.MinLength + length];
            EthernetFrame.WriteHeader(frame, StackMac, ScriptMac, EtherType.Ipv4);
            var ip = frame.AsSpan(EthernetFrame.HeaderLength);
            int header = new Ipv4Repr(_script4, _stack4, IpProtocol.Tcp, length, 64, 0, DontFragment: true,
                TypeOfService: p.Ip.TrafficClass).Write(ip);
            segment.Write(ip[header..], InternetChecksum.PseudoHeader(_script4, _stack4, (byte)IpProtocol.Tcp, length));
        }
        _transcript.Add($"{Seconds(ScriptNow)} {p.FormatAction()}");
        // packetdrill's --mss: every TCP packet goes into its tun device with a virtio-net header saying GSO with
        // gso_size = --mss (linux_tun_write), so the kernel sees a longer one as a GRO aggregate of such segments.
        _host.OnFrame(frame, _now, segmentSize: _script.Settings.Mss ?? 0);
        Settle();
    }

    /// <summary>
    /// <paramref name="p"/> with <c>TFO_COOKIE</c> given its value: the cookie Linux makes for the script's address
    /// and the stack's under the key the suite's defaults.sh sets (packetdrill's run_all.py passes the same value
    /// with -D for its own addresses).
    /// </summary>
    private PacketEvent WithCookies(PacketEvent p)
    {
        if (!p.Options.Any(o => o is ScriptTcpOption.FastOpen { IsLinuxDefault: true })) return p;
        var cookie = LinuxSysctls.DefaultsFastOpenKey.CookieFor(ScriptAddress, StackAddress);
        return p with { Options = new ValueList<ScriptTcpOption>(p.Options.Select(o => o is ScriptTcpOption.FastOpen f ? f.Resolve(cookie) : o).ToList()) };
    }

    /// <summary>
    /// Waits (in virtual time) for the stack's next segment and checks it against <paramref name="p"/>; returns the
    /// reference for the next relative time: the scheduled time, or the actual one for <c>*</c> and ranges.
    /// </summary>
    private long ExpectSegment(PacketEvent p, long reference)
    {
        var window = p.Time.Window(reference, _tolerance);
        long latest = window?.Latest ?? ScriptNow + AnyTimeLimitMicroseconds;
        CapturedSegment? next;
        do
        {
            if (_segments.Count == 0) AdvanceTo(Math.Max(latest, ScriptNow), stopOnSegment: true);
            if (!_segments.TryDequeue(out next))
            {
                throw Fail($"expected a packet by {Seconds(latest)} s, but the stack sent nothing", expected: p.FormatAction(),
                    actual: "(nothing)");
            }
        }
        while (!ForSocketUnderTest(next));
        var sent = next;
        if (!_script.Settings.StrictSegments && p.PayloadLength.IsExact && sent.Segment.PayloadLength > 0
            && sent.Segment.PayloadLength < p.PayloadLength.Value)
        {
            sent = Coalesce(sent, (int)p.PayloadLength.Value, latest);
        }
        if ((sent.Segment.Flags & TcpFlags.Syn) != 0 && p.StartSeq.IsExact && sent.Segment.Seq == 0)
        {
            // The stack's ISN is its own: as packetdrill does, whatever a script writes for it on the SYN or SYN-ACK
            // matches, and later lines count from it (relative 1 is the byte after the SYN).
            sent = sent with { Segment = sent.Segment with { Seq = p.StartSeq.Value } };
        }
        string actual = "> " + p.Ip.Check switch
        {
            ScriptTosCheck.None => "",
            ScriptTosCheck.Tos => $"[tos 0x{sent.TrafficClass:x}] ",
            _ => $"[{ScriptIpInfo.EcnName(sent.TrafficClass & 3)}] ",
        } + sent.Segment;
        string? problems = PacketExpectation.Match(WithCookies(p), sent.Segment);
        if (p.Ip.Mismatch(sent.TrafficClass) is { } ip) problems = problems is null ? ip : $"{ip}; {problems}";
        if (problems is not null)
        {
            throw Fail($"unexpected packet at {Seconds(sent.Time)} s: {problems}", expected: p.FormatAction(), actual: actual);
        }
        if (window is { } w && (sent.Time < w.Earliest || sent.Time > w.Latest))
        {
            throw Fail($"timing: expected at {DescribeWindow(p.Time, reference)}, got at {Seconds(sent.Time)} s",
                expected: $"{p.Time} {p.FormatAction()}", actual: actual);
        }
        _transcript.Add($"{Seconds(sent.Time)} {actual}");
        RememberTsVal(p, sent.Segment);
        return p.Time.Kind is ScriptTimeKind.Absolute or ScriptTimeKind.Relative ? p.Time.Start.Resolve(reference) : sent.Time;
    }

    /// <summary>
    /// packetdrill matches a line's payload against consecutive segments when the first is shorter (the kernel's
    /// TSO/GSO super-segment leaves as one packet to its tun, and a line is written for it): contiguous
    /// segments of equal size (the last may be shorter) are taken until the expected length is reached, and
    /// the result has the first segment's sequence number and the last one's other fields and time.
    /// <c>--strict_segments</c> turns this off.
    /// </summary>
    private CapturedSegment Coalesce(CapturedSegment first, int expected, long latest)
    {
        var last = first;
        int total = first.Segment.PayloadLength;
        while (total < expected)
        {
            if (_segments.Count == 0) AdvanceTo(Math.Max(latest, ScriptNow), stopOnSegment: true);
            if (!_segments.TryPeek(out var next)) break;
            var n = next.Segment;
            bool fits = n.Seq == last.Segment.EndSeq && n.PayloadLength > 0
                && (n.PayloadLength == last.Segment.PayloadLength || total + n.PayloadLength >= expected)
                && (n.Flags & (TcpFlags.Syn | TcpFlags.Rst)) == 0;
            if (!fits) break;
            _segments.Dequeue();
            _transcript.Add($"{Seconds(next.Time)} (> {n}: part of the next line's segment)");
            total += n.PayloadLength;
            last = next;
        }
        if (ReferenceEquals(last, first)) return first;
        return last with { Segment = last.Segment with { Seq = first.Segment.Seq, PayloadLength = total } };
    }

    private string DescribeWindow(ScriptTime time, long reference)
    {
        string tol = Seconds(_tolerance);
        return time.Kind == ScriptTimeKind.Range
            ? $"{Seconds(time.Start.Resolve(reference))}~{Seconds(time.RangeEnd!.Value.Resolve(reference))} s (±{tol})"
            : $"{Seconds(time.Start.Resolve(reference))}±{tol} s";
    }

    /// <summary>The link: the stack's frames, handled after each call into the host returns.</summary>
    void IFrameTransmitter.Transmit(ReadOnlySpan<byte> frame) => _frames.Enqueue(frame.ToArray());

    /// <summary>
    /// The link's local queue: while a script's <c>pfifo limit 0</c> is installed it drops every frame, and says so,
    /// as a qdisc answers NET_XMIT_DROP.
    /// </summary>
    TransmitResult IFrameTransmitter.TryTransmit(ReadOnlySpan<byte> frame)
    {
        if (_qdiscDropsAll)
        {
            _transcript.Add($"{Seconds(ScriptNow)} dropped by the local qdisc: {frame.Length} bytes");
            return TransmitResult.Dropped;
        }
        _frames.Enqueue(frame.ToArray());
        return TransmitResult.Sent;
    }

    /// <summary>A <c>tc qdisc … pfifo limit 0</c> is installed: the stack's frames are dropped before they leave.</summary>
    private bool _qdiscDropsAll;

    /// <summary>Takes the stack's frames (answering ARP and neighbour solicitations), then checks a blocked call.</summary>
    private void Settle()
    {
        DrainFrames();
        CheckBlockingCall();
    }

    /// <summary>Takes the stack's frames only: what a system call does after calling into the stack.</summary>
    private void DrainFrames()
    {
        while (_frames.TryDequeue(out var frame)) OnStackFrame(frame);
    }

    private void OnStackFrame(byte[] frame)
    {
        if (!EthernetFrame.TryParse(frame, out var eth, out _)) return;
        switch (eth.EtherType)
        {
            case EtherType.Arp:
                if (ArpPacket.TryParse(eth.Payload, out var arp, out _) && arp.Operation == ArpOperation.Request
                    && arp.TargetIp == _script4)
                {
                    var reply = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
                    EthernetFrame.WriteHeader(reply, StackMac, ScriptMac, EtherType.Arp);
                    ArpPacket.Write(reply.AsSpan(EthernetFrame.HeaderLength), ArpOperation.Reply, ScriptMac, _script4, StackMac, arp.SenderIp);
                    _host.OnFrame(reply, _now);
                }
                break;
            case EtherType.Ipv4:
                if (Ipv4Header.TryParse(eth.Payload, out var v4, out _) && v4.Protocol == IpProtocol.Tcp)
                    Capture(v4.Payload, InternetChecksum.PseudoHeader(v4.Source, v4.Destination, (byte)IpProtocol.Tcp, v4.Payload.Length), v4.TypeOfService);
                break;
            case EtherType.Ipv6:
                if (!Ipv6Header.TryParse(eth.Payload, out var v6, out _)) return;
                if (v6.NextHeader == IpProtocol.Tcp)
                    Capture(v6.Payload, InternetChecksum.PseudoHeader(v6.Source, v6.Destination, (byte)IpProtocol.Tcp, v6.Payload.Length), v6.TrafficClass);
                else if (v6.NextHeader == IpProtocol.Icmpv6)
                    AnswerSolicitation(v6.Payload, v6.Source);
                break;
        }
    }

    /// <summary>RFC 4861 §7.2.4: a solicitation for the script's address gets an advertisement, as the peer would send.</summary>
    private void AnswerSolicitation(ReadOnlySpan<byte> icmp, Ipv6Address source)
    {
        if (!NdpMessage.TryParse(icmp, out var ns, out _) || ns.Type != NdpMessage.NeighborSolicitation || ns.Target != _script6)
            return;
        Span<byte> message = stackalloc byte[64];
        int n = NdpWriter.WriteNeighborAdvertisement(message, _script6, router: false, solicited: true, @override: true, ScriptMac);
        Ipv6Address to = source == Ipv6Address.Unspecified ? Ipv6Address.AllNodes : source;
        Icmpv6Message.FillChecksum(message[..n], _script6, to);
        var frame = new byte[EthernetFrame.HeaderLength + Ipv6Header.Length + n];
        EthernetFrame.WriteHeader(frame, StackMac, ScriptMac, EtherType.Ipv6);
        new Ipv6Repr(_script6, to, IpProtocol.Icmpv6, n, HopLimit: 255).Write(frame.AsSpan(EthernetFrame.HeaderLength));
        message[..n].CopyTo(frame.AsSpan(EthernetFrame.HeaderLength + Ipv6Header.Length));
        _host.OnFrame(frame, _now);
    }

    private void Capture(ReadOnlySpan<byte> segment, ulong pseudoHeaderSum, byte trafficClass)
    {
        if (!TcpHeader.TryParse(segment, pseudoHeaderSum, out var h, out var reason))
            throw Fail($"the stack sent a malformed TCP segment ({reason})");
        if ((h.Flags & TcpFlags.Syn) != 0) _stackIsn = h.SequenceNumber;
        var actual = ActualSegment.From(h, _stackIsn, PeerIsnFor((h.Flags & TcpFlags.Syn) != 0));
        _trace.Add(new TracedSegment(ScriptNow, TraceDirection.FromStack, actual, h.SourcePort, h.DestinationPort));
        _segments.Enqueue(new CapturedSegment(ScriptNow, actual, trafficClass, h.SourcePort));
    }

    /// <summary>
    /// A segment the stack sent, when, its IP TOS / traffic class byte (for <c>[ect0]</c> lines) and its source
    /// port (0: any socket).
    /// </summary>
    private sealed record CapturedSegment(long Time, ActualSegment Segment, byte TrafficClass, ushort Port = 0);
    /// <summary>
    /// As packetdrill, which checks only what the socket under test sends: a segment from a socket the script has
    /// moved on from (the FIN of one closed before the next connects) is listed and passed over.
    /// </summary>
    private bool ForSocketUnderTest(CapturedSegment captured)
    {
        if (captured.Port == 0 || captured.Port == _stackPort) return true;
        _transcript.Add($"{Seconds(captured.Time)} > {captured.Segment} (from port {captured.Port}, not the socket under test: not checked)");
        return false;
    }

    /// <summary>
    /// What to add to the script's sequence numbers (and take from the stack's acknowledgments) for the script's
    /// side, as packetdrill maps them: a SYN's sequence number is absolute (offset by <see cref="ScriptIsn"/>), and
    /// that SYN's value is the ISN every later segment counts from (relative 1 is the byte after it).
    /// </summary>
    private uint PeerIsnFor(bool syn) => syn ? ScriptIsn : unchecked(ScriptIsn + _peerIsn);

    // ---- The virtual clock --------------------------------------------------------------------------------------

    /// <summary>
    /// Moves the clock to <paramref name="target"/> (never back), running the host's timers at each deadline on the
    /// way, at its own instant. With <paramref name="stopOnSegment"/>, stops as soon as the stack has sent a segment.
    /// </summary>
    private void AdvanceTo(long target, bool stopOnSegment = false)
    {
        Settle();
        int stalled = 0;
        while (!(stopOnSegment && _segments.Count > 0))
        {
            Instant due = Instant.Min(_host.NextDeadline, BlockedWake is { } wake ? At(wake) : Instant.Never);
            if (due > At(target)) break;
            if (due > _now)
            {
                _now = due;
                stalled = 0;
            }
            else if (++stalled > 10_000)
            {
                throw Fail($"the stack's timers do not advance at {Seconds(ScriptNow)} s");
            }
            if (_host.NextDeadline <= _now) _host.OnTimer(_now);
            Settle();
        }
        if (stopOnSegment && _segments.Count > 0) return;
        if (At(target) > _now) _now = At(target);
        Settle();
    }

    // ---- Reporting ----------------------------------------------------------------------------------------------

    private ScriptFailureException Fail(string message, string? expected = null, string? actual = null) =>
        new(new ScriptFailure(_script.File, _line, message, expected, actual));

    /// <summary>Seconds with at least three decimals: 3000000 → "3.000", 40 → "0.00004".</summary>
    public static string Seconds(long microseconds) =>
        (microseconds / 1_000_000.0).ToString("0.000###", CultureInfo.InvariantCulture);
}

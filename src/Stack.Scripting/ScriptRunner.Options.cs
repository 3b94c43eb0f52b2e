using System.Net.Sockets;
using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>setsockopt and getsockopt, with Linux's struct tcp_info.</summary>
public sealed partial class ScriptRunner
{
    private Outcome SetOption(SyscallEvent s, ScriptSocket sock)
    {
        long level = Number(s, 1, "a level"), name = Number(s, 2, "an option name");
        if (level == SolSocket && name == SoLinger)
        {
            if (s.Arguments[3] is not SyscallArg.StructLiteral linger || linger["onoff"] is not { } on || linger["linger"] is not { } secs
                || !on.TryEvaluate(out long onoff) || !secs.TryEvaluate(out long seconds))
                throw Fail("setsockopt(SO_LINGER) needs {onoff=N, linger=N}");
            sock.Linger = (onoff, seconds);
            return new Outcome(0);
        }
        if (level == SolTcp && name == TcpFastOpenKey) return SetFastOpenKey(s, sock);
        long v = Number(s, 3, "a value");
        if (SetMessageOption(sock, level, name, v) is { } done) return done;
        if (level == SolTcp && name == TcpFastOpen)
        {
            // Linux: on a closed or listening socket, the Fast Open queue (RFC 7413 §5.1), at most somaxconn.
            if (v < 0 || sock.Connection is not null) return Outcome.Error("EINVAL");
            sock.Options[(level, name)] = v;
            if (sock.Listener is { IsClosed: false } open) open.FastOpenQueueLength = (int)Math.Min(v, SoMaxConn);
            return new Outcome(0);
        }
        if (level == SolTcp && name == TcpNotSentLowat) return SetNotSentLowat(sock, v);
        if (level == SolIp && name == IpFreeBind)
        {
            sock.Options[(level, name)] = v; // Read back only: the virtual path has no address it could not bind.
            return new Outcome(0);
        }
        if (level == SolTcp && name == TcpFastOpenConnect) return SetFastOpenConnect(sock, v);
        if (level == SolTcp && name == TcpSynCnt && v is >= 1 and <= 127 && sock.Connection is { State: TcpState.SynSent } connecting)
        {
            // Linux reads TCP_SYNCNT at each SYN timeout, so it reaches a connect already under way.
            connecting.SetConnectTimeout(SynTimeout(v));
        }
        var c = sock.Config;
        TcpConfig? next = (level, name) switch
        {
            (SolSocket, SoReuseAddr) => c with { ReuseAddress = v != 0 },
            (SolSocket, SoKeepAlive) => c with { KeepAlive = v != 0 },
            (SolSocket, SoSndBuf) when v > 0 => c.FromSoSndBuf(v, WmemMax),
            (SolSocket, SoRcvBuf) when v > 0 => c with { ReceiveBufferSize = BufferSize(v) },
            (SolTcp, TcpNoDelay) => c with { NoDelay = v != 0 },
            (SolTcp, TcpCork) => c with { Cork = v != 0 },
            (SolTcp, TcpLinger2) => c with { FinWait2Timeout = v > 0 ? TimeSpan.FromSeconds(v) : TcpConfig.Default.FinWait2Timeout },
            (SolTcp, TcpKeepIdle) when v > 0 => c with { KeepAliveIdle = TimeSpan.FromSeconds(v) },
            (SolTcp, TcpKeepIntvl) when v > 0 => c with { KeepAliveInterval = TimeSpan.FromSeconds(v) },
            (SolTcp, TcpKeepCnt) when v > 0 => c with { KeepAliveProbes = (int)v },
            (SolTcp, TcpUserTimeout) when v >= 0 => c with { UserTimeout = v == 0 ? null : TimeSpan.FromMilliseconds(v) },
            (SolTcp, TcpMaxSeg) when v is >= 88 and <= 65535 => c with { MaxSegment = (int)v },
            // The DSCP bits only: a stream socket's ECN bits are TCP's (Linux __ip_sock_set_tos); -1 is the default.
            (SolIp, IpTos) => c with { TrafficClass = (byte)(v & 0xFC) },
            (SolIpv6, Ipv6TClass) when v is >= -1 and <= 255 => c with { TrafficClass = (byte)(v == -1 ? 0 : v & 0xFC) },
            // Linux's modes 0 to 5: WANT (1) and DO (2) discover the path MTU; DONT (0) does not, nor do PROBE,
            // INTERFACE and OMIT (3 to 5), which send at the interface MTU. The mode set is read back.
            (SolIp, IpMtuDiscover) or (SolIpv6, Ipv6MtuDiscover) when v is >= 0 and <= 5 => c with { PathMtuDiscovery = v is 1 or 2 },
            (SolTcp, TcpSynCnt) when v is >= 1 and <= 127 => c with { ConnectTimeout = SynTimeout(v) },
            _ => null,
        };
        if (next is null)
        {
            return IsKnownOption(level, name) ? Outcome.Error("EINVAL") : Outcome.Error("ENOPROTOOPT");
        }
        // Options reach the stack through the configuration of a listen() or connect() still to come, or of a
        // listener for the connections it makes afterwards; a connection that exists keeps its own (the value is
        // still read back).
        sock.Config = next;
        if ((level, name) == (SolSocket, SoSndBuf)) sock.Connection?.SetSendBufferSize(next.SendBufferSize); // At once, as Linux.
        if (sock.Listener is { IsClosed: false } listener) listener.Config = next; // For connections made after.
        sock.Options[(level, name)] = v;
        // TCP_NODELAY and TCP_CORK act on a connection at once, and push what waits (Linux tcp_push_pending_frames).
        if (sock.Connection is { } conn && level == SolTcp && name == TcpNoDelay)
        {
            conn.SetNoDelay(v != 0, _now);
            DrainFrames();
        }
        if (sock.Connection is { } timed && level == SolTcp && name == TcpUserTimeout)
        {
            timed.SetUserTimeout(next.UserTimeout); // Linux reads icsk_user_timeout at each timeout.
        }
                if (sock.Connection is { } corked && level == SolTcp && name == TcpCork)
        {
            corked.SetCork(v != 0, _now);
            DrainFrames();
        }
        return new Outcome(0);
    }

    /// <summary>
    /// TCP_NOTSENT_LOWAT: Linux takes any 32-bit value and reads it back as set; 0 means the tcp_notsent_lowat
    /// sysctl. It applies at once to a connection that exists.
    /// </summary>
    private Outcome SetNotSentLowat(ScriptSocket sock, long value)
    {
        long lowat = value & 0xffff_ffff;
        long effective = lowat == 0 ? _sysctls.Config.NotSentLowat : lowat;
        sock.Options[(SolTcp, TcpNotSentLowat)] = lowat;
        sock.Config = sock.Config with { NotSentLowat = effective };
        if (sock.Listener is { IsClosed: false } listener) listener.Config = sock.Config;
        if (sock.Connection is { } c) c.NotSentLowat = effective;
        return new Outcome(0);
    }

    /// <summary>Linux's net.core.wmem_max default: the most SO_SNDBUF takes (before doubling it).</summary>
    private const long WmemMax = 212_992;

    /// <summary>A buffer size as Linux bounds it: at least SOCK_MIN_RCVBUF (2304), at most 16 MiB.</summary>
    private static int BufferSize(long requested) => (int)Math.Clamp(requested, 2304, 16 << 20);

    private static bool IsKnownOption(long level, long name) => (level, name) is
        (SolSocket, SoReuseAddr or SoKeepAlive or SoSndBuf or SoRcvBuf) or
        (SolTcp, TcpNoDelay or TcpCork or TcpLinger2 or TcpKeepIdle or TcpKeepIntvl or TcpKeepCnt or TcpUserTimeout or TcpMaxSeg or TcpSynCnt) or
        (SolIp, IpTos or IpMtuDiscover or IpFreeBind) or (SolIpv6, Ipv6TClass or Ipv6MtuDiscover);

    /// <summary>
    /// TCP_SYNCNT as a connect timeout: Linux gives up when the SYN's last retry times out, each RTO doubled from
    /// 1 s, so n retries last (2^(n+1) − 1) s.
    /// </summary>
    private static TimeSpan SynTimeout(long retries) =>
        TcpConfig.Default.InitialRto * (Math.Pow(2, Math.Min(retries, 20) + 1) - 1);

    private Outcome GetOption(SyscallEvent s, ScriptSocket sock)
    {
        long level = Number(s, 1, "a level"), name = Number(s, 2, "an option name");
        var output = s.Arguments[3];
        if (level == SolTcp && name == TcpFastOpenKey) return GetFastOpenKey(s, sock, output);
        if (level == SolTcp && name == TcpInfo)
        {
            CheckTcpInfo(s, sock, output);
            return new Outcome(0);
        }
        if (level == SolSocket && name == SoLinger)
        {
            CheckStruct(s, output, f => f switch
            {
                "onoff" => sock.Linger.OnOff,
                "linger" => sock.Linger.Seconds,
                _ => null,
            });
            return new Outcome(0);
        }
        var c = sock.Config;
        long? value = (level, name) switch
        {
            (SolSocket, SoError) => sock.PendingError is { } err ? ErrorNumber(sock, err) : 0,
            // Linux doubles what SO_SNDBUF/SO_RCVBUF set (room for its bookkeeping) and reads that back, within
            // [SOCK_MIN_SNDBUF 4608 | SOCK_MIN_RCVBUF 2304, 2 x net.core.{w,r}mem_max (212992)].
            (SolSocket, SoSndBuf) when sock.Options.TryGetValue((level, name), out long set) => Math.Clamp(2 * set, 4608, 2 * 212_992),
            (SolSocket, SoRcvBuf) when sock.Options.TryGetValue((level, name), out long set) => Math.Clamp(2 * set, 2304, 2 * 212_992),
            // Linux: the MSS in use once connected; before, what was set (or 536).
            (SolTcp, TcpMaxSeg) when sock.Connection is { State: not (TcpState.Closed or TcpState.SynSent) } conn => conn.EffectiveMss,
            (SolTcp, TcpMaxSeg) => sock.Options.TryGetValue((level, name), out long set) ? set : 536,
            (SolIp, IpTos) or (SolIpv6, Ipv6TClass) => c.TrafficClass, // What was set, less the ECN bits.
            _ when sock.Options.TryGetValue((level, name), out long set) => set,
            (SolSocket, SoReuseAddr) => c.ReuseAddress ? 1 : 0,
            (SolSocket, SoKeepAlive) => c.KeepAlive ? 1 : 0,
            (SolSocket, SoSndBuf) => sock.Connection?.SendBufferSize ?? c.SendBufferSize,
            (SolSocket, SoRcvBuf) => c.ReceiveBufferSize,
            (SolTcp, TcpNoDelay) => c.NoDelay ? 1 : 0,
            (SolTcp, TcpCork) => c.Cork ? 1 : 0,
            (SolTcp, TcpLinger2) => (long)c.FinWait2Timeout.TotalSeconds,
            (SolTcp, TcpKeepIdle) => (long)c.KeepAliveIdle.TotalSeconds,
            (SolTcp, TcpKeepIntvl) => (long)c.KeepAliveInterval.TotalSeconds,
            (SolTcp, TcpKeepCnt) => c.KeepAliveProbes,
            (SolTcp, TcpUserTimeout) => (long)(c.UserTimeout?.TotalMilliseconds ?? 0),
            (SolTcp, TcpFastOpen) => sock.Listener?.FastOpenQueueLength ?? 0,
            (SolTcp, TcpNotSentLowat) => 0,
            (SolIp, IpFreeBind) => 0,
            (SolIp, IpMtuDiscover) or (SolIpv6, Ipv6MtuDiscover) => c.PathMtuDiscovery ? 1 : 0,
            _ => null,
        };
        if (value is not { } actual) return Outcome.Error("ENOPROTOOPT");
        var expected = output is SyscallArg.ArrayLiteral { Items.Count: 1 } a ? a.Items[0] : output;
        if (expected is not SyscallArg.Ellipsis && expected.TryEvaluate(out long want) && want != actual)
        {
            throw Fail($"getsockopt() output differs: expected [{expected}], got [{actual}]", expected: s.FormatAction(),
                actual: $"getsockopt({s.Arguments[0]}, {s.Arguments[1]}, {s.Arguments[2]}, [{actual}], {s.Arguments[4]}) = 0");
        }
        return new Outcome(0);
    }

    private static long ErrorNumber(ScriptSocket sock, SocketError error)
    {
        sock.ErrorReported = true;
        return Errno.TryGetNumber(Errno.FromSocketError(error) ?? "EIO", out int n) ? n : 5;
    }

    private void CheckTcpInfo(SyscallEvent s, ScriptSocket sock, SyscallArg output)
    {
        var info = InfoOf(sock);
        CheckStruct(s, output, field => TcpInfoField(sock, info, field), StateOf(sock));
    }

    private static TcpState StateOf(ScriptSocket sock) =>
        sock.Listener is { IsClosed: false } ? TcpState.Listen : sock.Connection?.State ?? TcpState.Closed;

    /// <summary>Compares each field a struct literal names with the actual value; fails on the first difference.</summary>
    private void CheckStruct(SyscallEvent s, SyscallArg output, Func<string, long?> actualOf, TcpState? state = null)
    {
        if (output is SyscallArg.Ellipsis) return;
        if (output is not SyscallArg.StructLiteral fields)
            throw Fail($"{s.Name}(): argument 4 must be a struct such as {{tcpi_state=TCP_ESTABLISHED, ...}}");
        foreach (var f in fields.Fields)
        {
            if (f.Value is SyscallArg.Ellipsis) continue;
            if (actualOf(f.Name) is not { } actual)
                throw Fail($"{s.Name}(): field '{f.Name}' is not supported by this runner");
            if (!f.Value.TryEvaluate(out long want))
                throw Fail($"{s.Name}(): field '{f.Name}' needs a number or a constant, not '{f.Value}'");
            if (want != actual)
            {
                string shown = f.Name == "tcpi_state" && state is { } st ? st.ToLinuxName() : actual.ToString(System.Globalization.CultureInfo.InvariantCulture);
                throw Fail($"{s.Name}() output differs: expected {f.Name}={f.Value}, got {f.Name}={shown}",
                    expected: s.FormatAction(), actual: $"{{{f.Name}={shown}, ...}}");
            }
        }
    }
}

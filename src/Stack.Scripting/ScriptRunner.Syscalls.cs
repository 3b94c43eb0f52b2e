using System.Net.Sockets;
using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>The system calls: a small fd table over the sans-I/O TCP API, with Linux's results and errnos.</summary>
public sealed partial class ScriptRunner
{
    private const int FirstFd = 3;
    private const long ORdwr = 2, ONonBlock = 0x800;
    private const long PollIn = 0x1, PollOut = 0x4, PollErr = 0x8, PollHup = 0x10, PollNval = 0x20, PollRdNorm = 0x40,
        PollWrNorm = 0x100, PollRdHup = 0x2000;
    private const long SolSocket = 1, SolTcp = 6, SolIp = 0, SolIpv6 = 41;
    private const long IpTos = 1, IpMtuDiscover = 10, IpFreeBind = 15, Ipv6MtuDiscover = 23, Ipv6TClass = 67;
    private const long SoReuseAddr = 2, SoError = 4, SoSndBuf = 7, SoRcvBuf = 8, SoKeepAlive = 9, SoLinger = 13;
    private const long TcpNoDelay = 1, TcpMaxSeg = 2, TcpKeepIdle = 4, TcpKeepIntvl = 5, TcpKeepCnt = 6, TcpLinger2 = 8,
        TcpSynCnt = 7, TcpCork = 3, TcpInfo = 11, TcpUserTimeout = 18, TcpFastOpen = 23, TcpNotSentLowat = 25, TcpFastOpenConnect = 30,
        TcpFastOpenKey = 33;
    private const long MsgPeek = 0x2, MsgDontWait = 0x40, MsgEor = 0x80, MsgMore = 0x8000, MsgFastOpen = 0x20000000;

    /// <summary>Linux's net.core.somaxconn default: the most a listen backlog or Fast Open queue gets.</summary>
    private const int SoMaxConn = 4096;

    private readonly SortedDictionary<int, ScriptSocket> _fds = [];
    private BlockedCall? _blocked;

    /// <summary>What a call returned: a value, or -1 and an errno name.</summary>
    private readonly record struct Outcome(long Value, string? Errno = null)
    {
        public static Outcome Error(string errno) => new(-1, errno);

        public override string ToString() =>
            Errno is null ? Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"-1 {Errno} ({Scripting.Errno.Describe(Errno)})";
    }

    /// <summary>A blocking call in progress: retried after every input and timer until it completes.</summary>
    private sealed record BlockedCall(SyscallEvent Event, long Expected, Func<Outcome?> Attempt, long? Timeout, long Started)
    {
        /// <summary>When the clock must stop for this call: its poll timeout, or just past its latest return time.</summary>
        public long WakeAt(long tolerance) => Math.Min(Timeout ?? long.MaxValue, Expected + tolerance + 1);
    }

    private long? BlockedWake => _blocked?.WakeAt(_tolerance);

    /// <param name="start">When the call starts.</param>
    /// <param name="previous">The previous event's time: a blocking call's end time counts from it, as its start
    /// does (packetdrill: <c>+.08...0.18</c> returns 0.18 s after the previous event, not after the call's start).</param>
    private void RunSyscall(SyscallEvent s, long start, long previous)
    {
        if (_blocked is not null)
        {
            throw Fail($"{s.Name}() while {_blocked.Event.Name}() on line {_blocked.Event.Line} still blocks: the runner runs one call at a time");
        }
        var (attempt, mayBlock, timeout) = Prepare(s, start);
        int traceAt = _trace.Count; // a call that returns at once goes in the trace before what it caused
        if (attempt() is { } done)
        {
            if (s.Time.BlockingEndAt(previous) is { } end && Math.Abs(end - ScriptNow) > _tolerance)
            {
                throw Fail($"timing: {s.Name}() returned at once ({Seconds(ScriptNow)} s), expected it to block until {Seconds(end)}±{Seconds(_tolerance)} s",
                    expected: $"{s.Time} {s.FormatAction()}", actual: Format(s, done));
            }
            Complete(s, done, ScriptNow, traceAt);
            return;
        }
        if (!mayBlock)
        {
            throw Fail($"{s.Name}() would block on a non-blocking socket", expected: s.FormatAction());
        }
        _blocked = new BlockedCall(s, s.Time.BlockingEndAt(previous) ?? start, attempt, timeout, ScriptNow);
        _transcript.Add($"{Seconds(ScriptNow)} {s.Name}(...) blocks");
    }

    private void CheckBlockingCall()
    {
        if (_blocked is not { } b) return;
        int line = _line;
        _line = b.Event.Line;
        if (b.Attempt() is { } done)
        {
            _blocked = null;
            if (Math.Abs(ScriptNow - b.Expected) > _tolerance)
            {
                throw Fail($"timing: {b.Event.Name}() expected to return at {Seconds(b.Expected)}±{Seconds(_tolerance)} s, returned at {Seconds(ScriptNow)} s",
                    expected: $"{b.Event.Time} {b.Event.FormatAction()}", actual: Format(b.Event, done));
            }
            Complete(b.Event, done, b.Started);
        }
        else if (ScriptNow > b.Expected + _tolerance)
        {
            throw Fail($"{b.Event.Name}() expected to return at {Seconds(b.Expected)}±{Seconds(_tolerance)} s, still blocked at {Seconds(ScriptNow)} s",
                expected: b.Event.FormatAction(), actual: "(blocked)");
        }
        _line = line;
    }

    private void FinishBlockingCall()
    {
        if (_blocked is not { } b) return;
        AdvanceTo(b.Expected + _tolerance);
        if (_blocked is not null)
        {
            _line = b.Event.Line;
            throw Fail($"{b.Event.Name}() never returned: still blocked at {Seconds(ScriptNow)} s, the end of the script",
                expected: b.Event.FormatAction(), actual: "(blocked)");
        }
    }

    private void Complete(SyscallEvent s, Outcome actual, long started, int? traceAt = null)
    {
        Trace(s, actual, started, traceAt ?? _trace.Count);
        var expected = s.Result;
        bool same = expected.IsError
            ? actual.Errno is { } e && (expected.Errno == SyscallResult.AnyErrno || Errno.SameErrno(e, expected.Errno!))
            : actual.Errno is null && actual.Value == expected.Value;
        if (!same)
        {
            throw Fail($"{s.Name}() returned {actual}, expected {expected}", expected: s.FormatAction(), actual: Format(s, actual));
        }
        _transcript.Add($"{Seconds(ScriptNow)} {Format(s, actual)}");
    }

    private static string Format(SyscallEvent s, Outcome o) => $"{s.Name}({string.Join(", ", s.Arguments)}) = {o}";

    /// <summary>The call's attempt (null: it would block), whether it may block, and its own timeout (poll).</summary>
    private (Func<Outcome?> Attempt, bool MayBlock, long? Timeout) Prepare(SyscallEvent s, long start)
    {
        if (s.Name == "socket") return (() => Socket(s), false, null);
        if (s.Name == "poll") return Poll(s, start);
        if (s.Name == "epoll_create") return (() => EpollCreate(s), false, null);
        if (s.Name == "open") return (() => OpenFile(s), false, null);
        if (s.Name == "pipe") return (() => MakePipe(s), false, null);
        if (s.Name == "splice") return Splice(s);
        int fd = (int)Number(s, 0, "a descriptor");
        if (_openFiles.ContainsKey(fd)) return PrepareFileCall(s, fd);
        if (_pipes.ContainsKey(fd)) return PreparePipeCall(s, fd);
        if (s.Name == "sendfile") return SendFile(s, fd);
        if (s.Name is "epoll_ctl" or "epoll_wait" || _epolls.ContainsKey(fd)) return PrepareEpoll(s, fd, start);
        if (!_fds.TryGetValue(fd, out var sock)) return (() => Outcome.Error("EBADF"), false, null);
        if (s.Name is "write" or "send" or "sendto" or "read" or "recv" or "recvfrom" && IsNull(s.Arguments[1]))
            return (() => BadAddress(sock, s.Name), false, null);
        return s.Name switch
        {
            "bind" => (() => Bind(sock), false, null),
            "listen" => (() => Listen(sock, Number(s, 1, "a backlog")), false, null),
            "accept" => (() => Accept(s, sock), !sock.NonBlocking, null),
            "connect" => Connect(sock),
            "write" => WriteCall(s, sock, Number(s, 2, "a byte count"), 0),
            "send" or "sendto" => WriteCall(s, sock, Number(s, 2, "a byte count"), Number(s, 3, "flags")),
            "sendmsg" => SendMsg(s, sock),
            "recvmsg" => RecvMsg(s, sock),
            "ioctl" => (() => Ioctl(s, sock), false, null),
            "read" => Read(s, sock, Number(s, 2, "a byte count"), 0),
            "recv" or "recvfrom" => Read(s, sock, Number(s, 2, "a byte count"), Number(s, 3, "flags")),
            "close" => (() => Close(sock), false, null),
            "shutdown" => (() => Shutdown(sock, Number(s, 1, "SHUT_RD, SHUT_WR or SHUT_RDWR")), false, null),
            "setsockopt" => (() => SetOption(s, sock), false, null),
            "getsockopt" => (() => GetOption(s, sock), false, null),
            "fcntl" => (() => Fcntl(s, sock), false, null),
            _ => throw Fail($"{s.Name}() is not supported by this runner"),
        };
    }

    private long Number(SyscallEvent s, int index, string what)
    {
        var arg = s.Arguments[index];
        if (arg is SyscallArg.ArrayLiteral { Items.Count: 1 } a) arg = a.Items[0];
        if (!arg.TryEvaluate(out long value))
            throw Fail($"{s.Name}(): argument {index + 1} must be {what}, not '{s.Arguments[index]}'");
        return value;
    }

    /// <summary>
    /// The descriptor a new socket gets: the one the script expects when it is free, as packetdrill maps a
    /// script's descriptors onto the live ones; else the lowest free, as the kernel gives.
    /// </summary>
    /// <summary>
    /// The descriptor for a new socket: the one the script expects when free (or, with <paramref name="shadow"/>,
    /// even when taken: packetdrill's accept does not check, and its newest descriptor of a number is the one
    /// later lines reach; the older socket stays open, out of the script's reach), else the lowest free one.
    /// </summary>
    private int NewDescriptor(SyscallEvent s, bool shadow = false)
    {
        if (!s.Result.IsError && s.Result.Value is >= FirstFd and <= int.MaxValue
            && (shadow || !IsDescriptorInUse((int)s.Result.Value)))
            return (int)s.Result.Value;
        int fd = FirstFd;
        while (IsDescriptorInUse(fd)) fd++;
        return fd;
    }

    private Outcome Socket(SyscallEvent s)
    {
        long type = Number(s, 1, "a socket type");
        if (type != 1)
            throw Fail($"socket(): only SOCK_STREAM is supported by this runner (UDP scripts are not), not '{s.Arguments[1]}'");
        int fd = NewDescriptor(s);
        _fds[fd] = new ScriptSocket(fd) { Config = _sysctls.Config };
        return new Outcome(fd);
    }

    private static Outcome Bind(ScriptSocket sock)
    {
        if (sock.Bound || sock.Listener is not null || sock.Connection is not null) return Outcome.Error("EINVAL");
        sock.Bound = true;
        return new Outcome(0);
    }

    private Outcome Listen(ScriptSocket sock, long backlog)
    {
        if (sock.Connection is not null) return Outcome.Error("EINVAL");
        if (sock.Listener is not null) return new Outcome(0);
        try
        {
            sock.Listener = _tcp.Listen(StackAddress, sock.Bound ? ServerPort : (ushort)0, (int)Math.Clamp(backlog, int.MinValue, int.MaxValue), sock.Config);
        }
        catch (SocketException e)
        {
            return Outcome.Error(Errno.FromSocketError(e.SocketErrorCode) ?? "EINVAL");
        }
        if (sock.Options.TryGetValue((SolTcp, TcpFastOpen), out long queue))
            sock.Listener.FastOpenQueueLength = (int)Math.Min(queue, SoMaxConn);
        _awaitingPassiveSyn = true;
        _stackPort = sock.Listener.LocalEndPoint.Port;
        return new Outcome(0);
    }

    private Outcome? Accept(SyscallEvent s, ScriptSocket sock)
    {
        if (sock.Listener is null) return Outcome.Error("EINVAL");
        if (!sock.Listener.TryAccept(out var c)) return sock.NonBlocking ? Outcome.Error("EAGAIN") : null;
        int fd = NewDescriptor(s, shadow: _fds.GetValueOrDefault((int)Math.Clamp(s.Result.Value, 0, int.MaxValue)) != sock);
        _fds[fd] = new ScriptSocket(fd) { Connection = c, Config = sock.Config };
        InheritMessageOptions(sock, _fds[fd]);
        _underTest = _fds[fd];
        return new Outcome(fd);
    }

    private (Func<Outcome?>, bool, long?) Connect(ScriptSocket sock)
    {
        if (sock.Listener is not null) return (() => Outcome.Error("EINVAL"), false, null);
        if (sock.Connection is { } existing)
        {
            // A Fast Open connect whose SYN waits for data counts as connected (Linux: EISCONN, not EALREADY).
            return (() => sock.PendingError is { } err ? Reported(sock, err)
                : existing.State is TcpState.SynSent or TcpState.SynReceived && !existing.IsSynDeferred ? Outcome.Error("EALREADY")
                : Outcome.Error("EISCONN"), false, null);
        }
        if (Open(sock, fastOpen: FastOpenConnect(sock)) is { } failed)
        {
            return (() => failed, false, null);
        }
        var c = sock.Connection!;
        if (c.IsSynDeferred) return (() => new Outcome(0), false, null); // TCP_FASTOPEN_CONNECT with a cookie: at once.
        if (sock.NonBlocking) return (() => Outcome.Error("EINPROGRESS"), false, null);
        return (() => sock.PendingError is { } err ? Reported(sock, err)
            : c.State is TcpState.SynSent or TcpState.SynReceived ? null
            : new Outcome(0), true, null);
    }

    /// <summary>connect()'s work: the connection, its SYN (unless Fast Open defers it) and the runner's port mapping.</summary>
    /// <returns>Null, or the errno the connect fails with.</returns>
    private Outcome? Open(ScriptSocket sock, bool fastOpen)
    {
        try
        {
            sock.Connection = _tcp.Connect(StackAddress, sock.Bound ? ServerPort : (ushort)0, ScriptAddress, ServerPort, sock.Config,
                _now, fastOpen);
        }
        catch (SocketException e)
        {
            return Outcome.Error(Errno.FromSocketError(e.SocketErrorCode) ?? "EINVAL");
        }
        _scriptPort = ServerPort;
        _stackPort = sock.Connection.LocalEndPoint.Port;
        _underTest = sock;
        Watch(sock);
        ApplyMessageOptions(sock);
        DrainFrames();
        return null;
    }

    private static Outcome Reported(ScriptSocket sock, SocketError error)
    {
        sock.ErrorReported = true;
        return Outcome.Error(Errno.FromSocketError(error) ?? "EIO");
    }

    private (Func<Outcome?>, bool, long?) Write(SyscallEvent s, ScriptSocket sock, long count, long flags)
    {
        bool nonBlocking = sock.NonBlocking || (flags & MsgDontWait) != 0;
        if (((flags & MsgFastOpen) != 0 && sock.Connection is null) || sock.Connection is { IsSynDeferred: true })
            return FastOpenWrite(s, sock, count, flags, nonBlocking);
        if ((flags & MsgFastOpen) != 0 && sock.Connection is { State: TcpState.SynSent } && sock.PendingError is null)
            return (() => Outcome.Error("EALREADY"), false, null); // Linux: another connect is in progress.
        long written = 0;
        return (() => WriteSome(sock, count, flags, nonBlocking, ref written), !nonBlocking, null);
    }

    /// <summary>
    /// One attempt of a write: fails with the pending error, waits (null) or fails with EAGAIN while the handshake
    /// runs (Linux sk_stream_wait_connect; a Fast Open server's child may write already), else copies what fits.
    /// </summary>
    private Outcome? WriteSome(ScriptSocket sock, long count, long flags, bool nonBlocking, ref long written)
    {
        if (sock.Connection is not { } c) return Outcome.Error("EPIPE");
        if (sock.PendingError is { } err) return Reported(sock, err);
        if (sock.ErrorReported) return Outcome.Error("EPIPE");
        if (c.State is TcpState.SynSent || (c.State is TcpState.SynReceived && !c.IsPassive))
        {
            c.WritePending = !nonBlocking;
            return nonBlocking ? Outcome.Error("EAGAIN") : null;
        }
        c.WritePending = false;
        // Linux sk_stream_wait_memory: a writer waiting for room is woken by sk_stream_write_space, which wants a
        // third of the buffer free (sk_stream_is_writeable), not just any room.
        if (sock.WriteWaitsForSpace && !c.IsWritable) return null;
        sock.WriteWaitsForSpace = false;
        try
        {
            while (written < count)
            {
                int chunk = (int)Math.Min(count - written, 65536);
                // MSG_EOR goes with the last piece of the message: the record ends where the message does.
                var sendFlags = (flags & MsgEor) != 0 && written + chunk == count ? TcpSendFlags.EndOfRecord : TcpSendFlags.None;
                if ((flags & MsgMore) != 0) sendFlags |= TcpSendFlags.More;
                int n = c.Send(new byte[chunk], _now, sendFlags);
                if (n == 0) break;
                written += n;
            }
        }
        catch (SocketException e)
        {
            return written > 0 ? new Outcome(written) : e.SocketErrorCode == SocketError.Shutdown
                ? Outcome.Error("EPIPE") : Reported(sock, e.SocketErrorCode);
        }
        finally
        {
            DrainFrames();
        }
        if (written == count || (nonBlocking && written > 0)) return new Outcome(written);
        sock.WriteWaitsForSpace = !nonBlocking;
        return nonBlocking ? Outcome.Error("EAGAIN") : null;
    }

    private (Func<Outcome?>, bool, long?) Read(SyscallEvent s, ScriptSocket sock, long count, long flags)
    {
        if ((flags & MsgPeek) != 0) throw Fail($"{s.Name}(): MSG_PEEK is not supported by this runner");
        bool nonBlocking = sock.NonBlocking || (flags & MsgDontWait) != 0;
        return (() =>
        {
            if (sock.Connection is not { } c) return Outcome.Error("ENOTCONN");
            if (sock.ErrorReported && c.Readable == 0) return new Outcome(0);
            int n;
            try
            {
                n = c.Receive(new byte[(int)Math.Clamp(count, 0, int.MaxValue / 2)], _now);
            }
            catch (SocketException e)
            {
                return Reported(sock, e.SocketErrorCode);
            }
            finally
            {
                DrainFrames();
            }
            if (n > 0 || c.IsEndOfStream || count == 0) return new Outcome(n);
            if (c.State is TcpState.Closed && c.Error is null) return new Outcome(0);
            return nonBlocking ? Outcome.Error("EAGAIN") : null;
        }, !nonBlocking, null);
    }

    private Outcome Close(ScriptSocket sock)
    {
        _fds.Remove(sock.Fd);
        sock.Listener?.Close(_now);
        if (sock.Connection is { } c)
        {
            if (sock.Linger is { OnOff: not 0, Seconds: 0 }) c.Abort(_now);
            else c.Close(_now);
        }
        DrainFrames();
        return new Outcome(0);
    }

    private Outcome Shutdown(ScriptSocket sock, long how)
    {
        if (how is < 0 or > 2) return Outcome.Error("EINVAL");
        if (sock.Connection is not { } c || c.State is TcpState.Closed or TcpState.SynSent or TcpState.Listen)
            return Outcome.Error("ENOTCONN");
        c.Shutdown(how switch { 0 => SocketShutdown.Receive, 1 => SocketShutdown.Send, _ => SocketShutdown.Both }, _now);
        if (how != 0) sock.WriteShut = true;
        DrainFrames();
        return new Outcome(0);
    }

    private Outcome Fcntl(SyscallEvent s, ScriptSocket sock)
    {
        long cmd = Number(s, 1, "F_GETFL or F_SETFL");
        switch (cmd)
        {
            case 3:
                return new Outcome(ORdwr | (sock.NonBlocking ? ONonBlock : 0));
            case 4 when s.Arguments.Count == 3:
                sock.NonBlocking = (Number(s, 2, "file status flags") & ONonBlock) != 0;
                return new Outcome(0);
            default:
                throw Fail($"fcntl(): only F_GETFL and F_SETFL (O_NONBLOCK) are supported, not '{s.Arguments[1]}'");
        }
    }
}

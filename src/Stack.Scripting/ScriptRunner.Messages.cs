using Stack.Tcp;
using Stack.Tcp.Completions;

namespace Stack.Scripting;

/// <summary>
/// sendmsg and recvmsg with packetdrill's msghdr (<c>{msg_name(...)=..., msg_iov(N)=[{..., len}...], msg_flags=F,
/// msg_control=[{cmsg_level=L, cmsg_type=T, cmsg_data=D}...]}</c>), the error queue they read
/// (recvmsg(MSG_ERRQUEUE): MSG_ZEROCOPY completions and SO_TIMESTAMPING timestamps as Linux's ip_recv_error /
/// ipv6_recv_error hand them out), the TCP_CM_INQ cmsg of TCP_INQ, and the options that turn these on.
/// </summary>
public sealed partial class ScriptRunner
{
    private const long MsgCtrunc = 0x8, MsgTrunc = 0x20, MsgErrQueue = 0x2000, MsgZeroCopy = 0x4000000;
    private const long SoMark = 36, SoTimestamping = 37, SoZeroCopy = 60, TcpInq = 36;
    private const long ScmTimestamping = 37, IpRecvErr = 11, Ipv6RecvErr = 25;
    private const long ENoMsg = 42, OriginTimestamping = 4, OriginZeroCopy = 5, CodeZeroCopyCopied = 1;

    /// <summary>A control message as recvmsg returns it.</summary>
    private abstract record Cmsg(long Level, long Type)
    {
        /// <summary>Its payload's size (CMSG_LEN less the header), which decides its room in msg_control.</summary>
        public abstract int DataLength { get; }
    }

    private sealed record IntCmsg(long Level, long Type, int Value) : Cmsg(Level, Type)
    {
        public override int DataLength => 4;
        public override string ToString() => $"{{cmsg_level={Level}, cmsg_type={Type}, cmsg_data={Value}}}";
    }

    /// <summary>struct scm_timestamping: the software stamp (ts[0]), as script time in microseconds.</summary>
    private sealed record TimestampCmsg(long Level, long Type, long ScriptMicroseconds) : Cmsg(Level, Type)
    {
        public override int DataLength => 48;
        public override string ToString() =>
            $"{{cmsg_level={Level}, cmsg_type={Type}, cmsg_data={{scm_sec={ScriptMicroseconds / 1_000_000}, scm_nsec={ScriptMicroseconds % 1_000_000 * 1000}}}}}";
    }

    /// <summary>struct sock_extended_err followed by the offender's address (sockaddr_in or sockaddr_in6).</summary>
    private sealed record ExtendedErrorCmsg(long Level, long Type, long Errno, long Origin, long EeType, long Code, long Info, long Data)
        : Cmsg(Level, Type)
    {
        public override int DataLength => 16 + (Level == SolIpv6 ? 28 : 16);
        public override string ToString() =>
            $"{{cmsg_level={Level}, cmsg_type={Type}, cmsg_data={{ee_errno={Errno}, ee_origin={Origin}, ee_type={EeType}, ee_code={Code}, ee_info={Info}, ee_data={Data}}}}}";
    }

    /// <summary>What recvmsg returned besides its value.</summary>
    private sealed record MessageOut(long MsgFlags, IReadOnlyList<Cmsg> Control);

    private bool Ipv6 => _family == ScriptIpVersion.Ipv6;

    /// <summary>
    /// A write call (write, send, sendto, sendmsg) with what the socket layer does around it, as Linux's
    /// tcp_sendmsg_locked: a MSG_ZEROCOPY write that takes bytes gets a completion id, and every write that
    /// takes bytes marks its last byte for SO_TIMESTAMPING. The bytes themselves go through <see cref="Write"/>.
    /// </summary>
    private (Func<Outcome?>, bool, long?) WriteCall(SyscallEvent s, ScriptSocket sock, long count, long flags, IReadOnlyList<long>? iovecs = null)
    {
        var (attempt, mayBlock, timeout) = Write(s, sock, count, flags);
        // Linux ignores MSG_ZEROCOPY unless SO_ZEROCOPY is on, and an empty send takes no id.
        bool zeroCopy = (flags & MsgZeroCopy) != 0 && sock.ZeroCopy && count > 0;
        ZeroCopyWrite? begun = null;
        return (() =>
        {
            if (zeroCopy && begun is null && sock.Connection is { } before)
            {
                begun = before.BeginZeroCopyWrite();
                if (iovecs is not null) before.PlanSkbEnds(FragmentLimitEnds(iovecs));
            }
            var outcome = attempt();
            if (outcome is not null) sock.Connection?.ClearPlannedSkbEnds();
            if (outcome is { Errno: null, Value: > 0 } && sock.Connection is { } c)
            {
                // A Fast Open connect made the connection inside the call: its data went from the SYN on.
                if (zeroCopy && begun is null) begun = new ZeroCopyWrite(c.Iss + 1, c.Iss + 1);
                if (begun is { } b) c.EndZeroCopyWrite(b);
                c.OnWriteCompleted(_now);
            }
            return outcome;
        }, mayBlock, timeout);
    }

    /// <summary>
    /// Where a zero-copy write's skbs end for want of fragments: each iovec is one page fragment (packetdrill
    /// gives each its own buffer), and an skb holds MAX_SKB_FRAGS of them (net.core.max_skb_frags, 17).
    /// </summary>
    private static IEnumerable<int> FragmentLimitEnds(IReadOnlyList<long> iovecs)
    {
        const int MaxSkbFrags = 17;
        long offset = 0;
        int frags = 0;
        foreach (long length in iovecs)
        {
            if (length == 0) continue;
            offset += length;
            if (offset > int.MaxValue) yield break; // More than a write can take: the call fails or stops first.
            if (++frags == MaxSkbFrags)
            {
                yield return (int)offset;
                frags = 0;
            }
        }
    }

    private (Func<Outcome?>, bool, long?) SendMsg(SyscallEvent s, ScriptSocket sock)
    {
        var msg = MessageHeader(s);
        if (msg["msg_flags"] is { } f && Evaluate(f) != 0)
            throw Fail("sendmsg(): msg_flags must be 0 (sendmsg ignores the field)");
        if (msg["msg_control"] is SyscallArg.ArrayLiteral { Items.Count: > 0 })
            throw Fail("sendmsg(): control messages on send are not supported by this runner");
        var iovecs = Iovecs(s, msg);
        return WriteCall(s, sock, iovecs.Sum(), Number(s, 2, "flags"), iovecs);
    }

    private (Func<Outcome?>, bool, long?) RecvMsg(SyscallEvent s, ScriptSocket sock)
    {
        var msg = MessageHeader(s);
        long capacity = Iovecs(s, msg).Sum();
        long flags = Number(s, 2, "flags");
        if ((flags & MsgErrQueue) != 0)
        {
            // Linux: reading the error queue never blocks; an empty queue is EAGAIN.
            return (() => ReadErrorQueue(s, sock, msg, capacity), false, null);
        }
        var (attempt, mayBlock, timeout) = Read(s, sock, capacity, flags);
        return (() =>
        {
            var outcome = attempt();
            if (outcome is { Errno: null } done && sock.Connection is { } c)
            {
                var control = new List<Cmsg>();
                // Linux tcp_recvmsg: with TCP_INQ, what is left to read (tcp_inq_hint: the FIN counts, and a
                // finished stream reports 1 so that the reader reads on to the end).
                if (sock.Options.GetValueOrDefault((SolTcp, TcpInq)) != 0)
                {
                    int inq = c.Readable + (c.FinReceived ? 1 : 0);
                    if (inq == 0 && c.State == TcpState.Closed) inq = 1;
                    control.Add(new IntCmsg(SolTcp, TcpInq, inq));
                }
                CheckMessage(s, msg, done, 0, control);
            }
            return outcome;
        }, mayBlock, timeout);
    }

    /// <summary>Linux ip_recv_error / ipv6_recv_error: one entry, its stamp first, then its sock_extended_err.</summary>
    private Outcome ReadErrorQueue(SyscallEvent s, ScriptSocket sock, SyscallArg.StructLiteral msg, long capacity)
    {
        if (sock.Connection is not { } c || !c.ErrorQueue.TryDequeue(out var entry) || entry is null)
            return Outcome.Error("EAGAIN");
        long level = Ipv6 ? SolIpv6 : SolIp, type = Ipv6 ? Ipv6RecvErr : IpRecvErr;
        var control = new List<Cmsg>();
        int length = 0;
        switch (entry)
        {
            case ZeroCopyCompletion z:
                control.Add(new ExtendedErrorCmsg(level, type, 0, OriginZeroCopy, 0, z.Copied ? CodeZeroCopyCopied : 0, z.First, z.Last));
                break;
            case TxTimestamp t:
                length = t.Length;
                // sock_recv_timestamp: the software stamp only when SOF_TIMESTAMPING_SOFTWARE asks for reports.
                if ((c.Timestamping & TimestampingFlags.Software) != 0)
                    control.Add(new TimestampCmsg(SolSocket, ScmTimestamping, t.At.Microseconds - Origin.Microseconds));
                control.Add(new ExtendedErrorCmsg(level, type, ENoMsg, OriginTimestamping, 0, 0, (long)t.Kind, t.Key));
                break;
        }
        long copied = Math.Min(length, capacity);
        long msgFlags = MsgErrQueue | (length > capacity ? MsgTrunc : 0);
        var outcome = new Outcome(copied);
        CheckMessage(s, msg, outcome, msgFlags, control);
        return outcome;
    }

    /// <summary>
    /// Compares msg_flags and the control messages as packetdrill does, once the return value is right (a wrong
    /// value is reported as such). msg_control holds exactly the room the expected cmsgs take; an actual one that
    /// does not fit is dropped with MSG_CTRUNC, as Linux's put_cmsg truncates.
    /// </summary>
    private void CheckMessage(SyscallEvent s, SyscallArg.StructLiteral msg, Outcome outcome, long msgFlags, List<Cmsg> control)
    {
        if (s.Result.IsError || outcome.Value != s.Result.Value) return;
        var expected = msg["msg_control"] is SyscallArg.ArrayLiteral list ? list.Items : ValueList<SyscallArg>.Empty;
        long room = expected.Sum(e => CmsgSpace(ExpectedDataLength(e)));
        var delivered = new List<Cmsg>();
        foreach (var cmsg in control)
        {
            long space = CmsgSpace(cmsg.DataLength);
            if (space > room)
            {
                msgFlags |= MsgCtrunc;
                break;
            }
            room -= space;
            delivered.Add(cmsg);
        }
        string actual = $"msg_flags={msgFlags}, msg_control=[{string.Join(", ", delivered)}]";
        if (msg["msg_flags"] is { } f && Evaluate(f) is var want && want != msgFlags)
            throw Fail($"{s.Name}(): expected msg_flags 0x{want:X8} but got 0x{msgFlags:X8}", expected: s.FormatAction(), actual: actual);
        int i = 0;
        for (; i < delivered.Count && i < expected.Count; i++)
        {
            if (CmsgDiffers(expected[i], delivered[i]) is { } why)
                throw Fail($"{s.Name}(): {why} in cmsg {i}", expected: s.FormatAction(), actual: actual);
        }
        if (i < delivered.Count) throw Fail($"{s.Name}(): received more than {i} cmsgs", expected: s.FormatAction(), actual: actual);
        if (i < expected.Count) throw Fail($"{s.Name}(): received only {i} cmsgs", expected: s.FormatAction(), actual: actual);
    }

    /// <summary>Why an actual cmsg is not the expected one (packetdrill's cmsg_expect_eq), or null.</summary>
    private string? CmsgDiffers(SyscallArg expected, Cmsg actual)
    {
        if (expected is not SyscallArg.StructLiteral e || e["cmsg_level"] is not { } level || e["cmsg_type"] is not { } type
            || e["cmsg_data"] is not { } data)
            throw Fail("a cmsg must be {cmsg_level=..., cmsg_type=..., cmsg_data=...}");
        if (Evaluate(level) != actual.Level) return $"bad level: expected={Evaluate(level)} actual={actual.Level}";
        if (Evaluate(type) != actual.Type) return $"bad type: expected={Evaluate(type)} actual={actual.Type}";
        if (ExpectedDataLength(e) != actual.DataLength) return $"bad len: expected={ExpectedDataLength(e)} actual={actual.DataLength}";
        switch (actual)
        {
            case IntCmsg n when Evaluate(data) is var v && (int)v != n.Value:
                return $"bad data: expected={(int)v} actual={n.Value}";
            case TimestampCmsg t:
            {
                var ts = (SyscallArg.StructLiteral)data;
                long sec = Evaluate(ts["scm_sec"]!), nsec = Evaluate(ts["scm_nsec"]!);
                if (sec == 0 && nsec == 0) return null; // packetdrill: a zero stamp is not checked.
                long want = sec * 1_000_000 + nsec / 1000;
                return Math.Abs(want - t.ScriptMicroseconds) > _tolerance
                    ? $"bad timestamp: expected={Seconds(want)} s actual={Seconds(t.ScriptMicroseconds)} s (tolerance {Seconds(_tolerance)} s)"
                    : null;
            }
            case ExtendedErrorCmsg x:
            {
                var ee = (SyscallArg.StructLiteral)data;
                foreach (var (name, value) in new[] { ("ee_errno", x.Errno), ("ee_origin", x.Origin), ("ee_type", x.EeType),
                    ("ee_code", x.Code), ("ee_info", x.Info), ("ee_data", x.Data) })
                {
                    long want = Evaluate(ee[name] ?? throw Fail($"a sock_extended_err needs {name}"));
                    if (want != value) return $"bad {name[3..]} in extended err: expected={want} actual={value}";
                }
                return null;
            }
        }
        return null;
    }

    /// <summary>The payload size the expected cmsg_data stands for, as packetdrill's cmsg_new sizes it.</summary>
    private int ExpectedDataLength(SyscallArg cmsg)
    {
        if (cmsg is not SyscallArg.StructLiteral e || e["cmsg_data"] is not { } data)
            throw Fail("a cmsg must be {cmsg_level=..., cmsg_type=..., cmsg_data=...}");
        return data switch
        {
            SyscallArg.StructLiteral d when d["scm_sec"] is not null && d["scm_nsec"] is not null => 48,
            SyscallArg.StructLiteral d when d["ee_errno"] is not null =>
                16 + (e["cmsg_level"] is { } l && Evaluate(l) == SolIp ? 16 : 28),
            SyscallArg.StructLiteral => throw Fail($"cmsg_data {data}: this runner knows an int, {{scm_sec, scm_nsec}} and {{ee_errno, ...}}"),
            _ => 4,
        };
    }

    /// <summary>CMSG_SPACE on a 64-bit Linux: a 16-byte header and the payload, rounded up to 8.</summary>
    private static long CmsgSpace(int dataLength) => 16 + ((dataLength + 7) & ~7);

    private SyscallArg.StructLiteral MessageHeader(SyscallEvent s)
    {
        if (s.Arguments[1] is not SyscallArg.StructLiteral { IsOpen: false } msg || msg["msg_iov"] is null)
            throw Fail($"{s.Name}(): argument 2 must be a msghdr: {{msg_name(...)=..., msg_iov(N)=[{{..., len}}], msg_flags=F[, msg_control=[...]]}}");
        return msg;
    }

    /// <summary>The iovecs' lengths; packetdrill refuses a msg_iov(N) whose N is not the array's length.</summary>
    private List<long> Iovecs(SyscallEvent s, SyscallArg.StructLiteral msg)
    {
        var field = msg.Fields.First(f => f.Name == "msg_iov");
        if (field.Value is not SyscallArg.ArrayLiteral iov)
            throw Fail($"{s.Name}(): msg_iov must be an array of iovecs [{{..., len}}]");
        if (field.Subscript is { } n && Evaluate(n) != iov.Items.Count)
            throw Fail($"{s.Name}(): msg_iovlen {field.Subscript} does not match {iov.Items.Count}-element iovec array");
        var lengths = new List<long>();
        foreach (var item in iov.Items)
        {
            long len = item is SyscallArg.Iovec v ? Evaluate(v.Length) : -1;
            if (len is < 0 or > int.MaxValue)
                throw Fail($"{s.Name}(): each iovec must be {{..., len}} with 0 <= len, not '{item}'");
            lengths.Add(len);
        }
        return lengths;
    }

    /// <summary>A number, a constant (those that depend on the family too: CMSG_LEVEL_IP) or an OR of them.</summary>
    private long Evaluate(SyscallArg arg)
    {
        if (arg is SyscallArg.Constant c && ScriptConstants.TryGetFamilyValue(c.Name, Ipv6, out long family)) return family;
        if (!arg.TryEvaluate(out long value)) throw Fail($"'{arg}' must be a number or a constant here");
        return value;
    }

    /// <summary>Linux clones the listener: SO_ZEROCOPY, SO_TIMESTAMPING and TCP_INQ carry over to the accepted socket.</summary>
    private static void InheritMessageOptions(ScriptSocket listener, ScriptSocket accepted)
    {
        accepted.ZeroCopy = listener.ZeroCopy;
        foreach (var key in new[] { (SolSocket, SoZeroCopy), (SolSocket, SoTimestamping), (SolTcp, TcpInq) })
        {
            if (listener.Options.TryGetValue(key, out long v)) accepted.Options[key] = v;
        }
        ApplyMessageOptions(accepted);
    }

    /// <summary>A socket got its connection: SO_TIMESTAMPING set before (without OPT_ID, which needs one) applies to it.</summary>
    private static void ApplyMessageOptions(ScriptSocket sock)
    {
        if (sock.Connection is { } c && sock.Options.TryGetValue((SolSocket, SoTimestamping), out long flags))
            c.SetTimestamping((TimestampingFlags)(uint)flags);
    }

    /// <summary>
    /// The socket options of this part (null: not one of them): SO_ZEROCOPY (0 or 1), SO_TIMESTAMPING (flags
    /// as Linux's sock_set_timestamping checks them), SO_MARK (only kept; the runner has no routing by mark) and
    /// TCP_INQ (0 or 1).
    /// </summary>
    private Outcome? SetMessageOption(ScriptSocket sock, long level, long name, long v)
    {
        switch (level, name)
        {
            case (SolSocket, SoZeroCopy):
                if (v is < 0 or > 1) return Outcome.Error("EINVAL");
                sock.ZeroCopy = v == 1;
                break;
            case (SolSocket, SoTimestamping):
                if (v is < 0 or > uint.MaxValue) return Outcome.Error("EINVAL");
                var flags = (TimestampingFlags)(uint)v;
                if (sock.Connection is { } c)
                {
                    if (!c.SetTimestamping(flags)) return Outcome.Error("EINVAL");
                }
                else if ((flags & TimestampingFlags.OptId) != 0 || (flags & ~TimestampingFlags.All) != 0)
                {
                    return Outcome.Error("EINVAL"); // Linux: OPT_ID needs a connection to count from.
                }
                break;
            case (SolSocket, SoMark):
                break;
            case (SolTcp, TcpInq):
                if (v is < 0 or > 1) return Outcome.Error("EINVAL");
                break;
            default:
                return null;
        }
        sock.Options[(level, name)] = v;
        return new Outcome(0);
    }
}

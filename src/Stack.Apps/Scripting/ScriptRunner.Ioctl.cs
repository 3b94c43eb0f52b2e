using Stack.Tcp;

namespace Stack.Apps.Scripting;

/// <summary>ioctl(2)'s TCP queue sizes (Linux tcp_ioctl), and the EFAULT of a NULL buffer.</summary>
public sealed partial class ScriptRunner
{
    private const long SiocInq = 0x541B, SiocOutq = 0x5411, SiocOutqNsd = 0x894B;

    private Outcome Ioctl(SyscallEvent s, ScriptSocket sock)
    {
        long request = Number(s, 1, "SIOCINQ, SIOCOUTQ or SIOCOUTQNSD");
        if (request is not (SiocInq or SiocOutq or SiocOutqNsd))
            throw Fail($"ioctl(): only SIOCINQ, SIOCOUTQ and SIOCOUTQNSD are supported by this runner, not '{s.Arguments[1]}'");
        // Linux tcp_ioctl: a listener has no queues to size; during the handshake they count as empty.
        if (sock.Listener is not null) return Outcome.Error("EINVAL");
        var c = sock.Connection;
        long value = c is null || c.State is TcpState.SynSent or TcpState.SynReceived ? 0 : request switch
        {
            SiocInq => c.Readable, // The FIN takes no byte here, as Linux's tcp_inq leaves it out.
            SiocOutq => c.Unacknowledged,
            _ => c.NotSent,
        };
        if (s.Arguments.Count < 3) throw Fail("ioctl(): the third argument must be the result, such as [1000]");
        var expected = s.Arguments[2] is SyscallArg.ArrayLiteral { Items.Count: 1 } a ? a.Items[0] : s.Arguments[2];
        if (expected is not SyscallArg.Ellipsis && expected.TryEvaluate(out long want) && want != value)
        {
            throw Fail($"ioctl() output differs: expected [{expected}], got [{value}]", expected: s.FormatAction(),
                actual: $"ioctl({s.Arguments[0]}, {s.Arguments[1]}, [{value}]) = 0");
        }
        return new Outcome(0);
    }

    private static bool IsNull(SyscallArg arg) => arg is SyscallArg.Constant { Name: "NULL" };

    /// <summary>
    /// A read or write with a NULL buffer: Linux fails the copy to or from user memory with EFAULT, after the
    /// checks that come first (no connection, a pending error); a read with nothing queued never copies, so it
    /// fails only once there is data.
    /// </summary>
    private static Outcome BadAddress(ScriptSocket sock, string call)
    {
        bool reading = call is "read" or "recv" or "recvfrom";
        if (sock.Connection is not { } c) return Outcome.Error(reading ? "ENOTCONN" : "EPIPE");
        if (sock.PendingError is { } err) return Reported(sock, err);
        if (reading && c.Readable == 0) return Outcome.Error(c.IsEndOfStream ? "EFAULT" : "EAGAIN");
        return Outcome.Error("EFAULT");
    }
}

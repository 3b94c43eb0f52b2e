using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>
/// ioctl on a TCP socket, as Linux's tcp_ioctl answers it: SIOCINQ (FIONREAD) the bytes ready to read, SIOCOUTQ
/// (TIOCOUTQ) the bytes written and not yet acknowledged, SIOCOUTQNSD those not yet sent, SIOCATMARK whether
/// the read position is at urgent data (never: the stack keeps no urgent pointer).
/// </summary>
public sealed partial class ScriptRunner
{
    private const long SiocInq = 0x541B, SiocOutq = 0x5411, SiocOutqNsd = 0x894B, SiocAtMark = 0x8905;

    private Outcome Ioctl(SyscallEvent s, ScriptSocket sock)
    {
        long command = Number(s, 1, "an ioctl request");
        long? answer = command switch
        {
            SiocInq or SiocOutq or SiocOutqNsd when sock.Listener is not null => null,
            SiocInq => Queued(sock.Connection, c => c.Readable),
            SiocOutq => Queued(sock.Connection, c => c.WriteSeq - c.SndUna + (FinUnacknowledged(c) ? 1 : 0)),
            SiocOutqNsd => Queued(sock.Connection, c => c.WriteSeq - c.SndNxt),
            SiocAtMark => 0,
            _ => -1,
        };
        if (answer is null) return Outcome.Error("EINVAL"); // Linux: a listener has no queues to measure.
        if (answer == -1) return Outcome.Error("ENOTTY");
        if (s.Arguments.Count == 3)
        {
            var expected = s.Arguments[2] is SyscallArg.ArrayLiteral { Items.Count: 1 } a ? a.Items[0] : s.Arguments[2];
            if (expected is not SyscallArg.Ellipsis && Evaluate(expected) != answer)
            {
                throw Fail($"ioctl() output differs: expected [{expected}], got [{answer}]", expected: s.FormatAction(),
                    actual: $"ioctl({s.Arguments[0]}, {s.Arguments[1]}, [{answer}]) = 0");
            }
        }
        return new Outcome(0);
    }

    /// <summary>Linux answers 0 for a socket with no connection and during the handshake (SYN-SENT, SYN-RECEIVED).</summary>
    private static long Queued(TcpConnection? c, Func<TcpConnection, long> measure) =>
        c is null || c.State is TcpState.SynSent or TcpState.SynReceived ? 0 : Math.Max(0, measure(c));

    /// <summary>The FIN takes a sequence number in write_seq until it is acknowledged.</summary>
    private static bool FinUnacknowledged(TcpConnection c) => c.State is TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck;

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

using Stack.Tcp;
using Stack.Tcp.FastOpen;

namespace Stack.Scripting;

/// <summary>
/// The Fast Open client's system calls (RFC 7413), with Linux's results: sendto(MSG_FASTOPEN) on an unconnected
/// socket, and connect() then write() under TCP_FASTOPEN_CONNECT (Linux tcp_sendmsg_fastopen).
/// </summary>
public sealed partial class ScriptRunner
{
    private bool FastOpenClientEnabled => (_tcp.FastOpen.Modes & FastOpenModes.Client) != 0;

    private static bool FastOpenConnect(ScriptSocket sock) =>
        sock.Options.TryGetValue((SolTcp, TcpFastOpenConnect), out long on) && on != 0;

    /// <summary>
    /// setsockopt(TCP_FASTOPEN_CONNECT): 0 or 1, on a socket not yet connected, and only while the client side of
    /// Fast Open is on (Linux: EOPNOTSUPP otherwise).
    /// </summary>
    private Outcome SetFastOpenConnect(ScriptSocket sock, long value)
    {
        if (value is < 0 or > 1) return Outcome.Error("EINVAL");
        if (!FastOpenClientEnabled) return Outcome.Error("EOPNOTSUPP");
        if (sock.Connection is not null || sock.Listener is not null) return Outcome.Error("EINVAL");
        sock.Options[(SolTcp, TcpFastOpenConnect)] = value;
        return new Outcome(0);
    }

    /// <summary>
    /// A write that opens the connection (sendto with MSG_FASTOPEN on an unconnected socket) or that the deferred
    /// SYN of TCP_FASTOPEN_CONNECT waited for. As Linux's tcp_sendmsg_fastopen: the SYN carries what fits of the
    /// data when a cookie is cached; a non-blocking call returns those bytes, or EINPROGRESS when none went (no
    /// cookie: the SYN asked for one); a blocking call waits for the handshake, then writes the rest.
    /// </summary>
    private (Func<Outcome?>, bool, long?) FastOpenWrite(SyscallEvent s, ScriptSocket sock, long count, long flags, bool nonBlocking)
    {
        if (!FastOpenClientEnabled || (s.Arguments.Count > 4 && s.Arguments[4].ToString() == "AF_UNSPEC"))
            return (() => Outcome.Error("EOPNOTSUPP"), false, null);
        if (sock.Listener is not null) return (() => Outcome.Error("EPIPE"), false, null);
        bool started = false;
        long written = 0;
        return (() =>
        {
            if (!started)
            {
                started = true;
                if (sock.Connection is null && Open(sock, fastOpen: true) is { } failed) return failed;
                var c = sock.Connection!;
                if (c.IsSynDeferred)
                {
                    written = c.Send(new byte[(int)Math.Clamp(count, 0, 65536)], _now);
                    DrainFrames();
                }
                if (nonBlocking)
                    return written > 0 ? new Outcome(written) : Outcome.Error("EINPROGRESS");
                c.WritePending = written < count; // Linux's writebias: data is left for after the handshake.
            }
            if (sock.PendingError is { } err) return Reported(sock, err);
            if (sock.Connection is { State: TcpState.SynSent or TcpState.SynReceived }) return null;
            sock.Connection!.WritePending = false;
            return WriteSome(sock, count, flags, nonBlocking: false, ref written);
        }, !nonBlocking, null);
    }
}

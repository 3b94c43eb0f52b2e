using System.Net.Sockets;
using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>poll(2) over the fd table, with Linux's tcp_poll masks.</summary>
public sealed partial class ScriptRunner
{
    private (Func<Outcome?>, bool, long?) Poll(SyscallEvent s, long start)
    {
        if (s.Arguments[0] is not SyscallArg.ArrayLiteral { Items: [SyscallArg.StructLiteral pfd] } || Number(s, 1, "the number of descriptors") != 1)
            throw Fail("poll(): this runner polls one descriptor: poll([{fd=N, events=..., revents=...}], 1, timeout)");
        if (pfd["fd"] is not { } fdArg || !fdArg.TryEvaluate(out long fd) || pfd["events"] is not { } eventsArg
            || !eventsArg.TryEvaluate(out long events))
            throw Fail("poll(): the pollfd needs fd=N and events=...");
        long timeoutMs = Number(s, 2, "a timeout in milliseconds");
        long? deadline = timeoutMs < 0 ? null : start + timeoutMs * 1000;
        return (() =>
        {
            long revents = _fds.TryGetValue((int)fd, out var sock) ? PollMask(sock) : PollNval;
            revents &= events | PollErr | PollHup | PollNval;
            if (revents == 0 && (deadline is not { } d || ScriptNow < d)) return null; // -1: no timeout.
            if (pfd["revents"] is { } want and not SyscallArg.Ellipsis && want.TryEvaluate(out long expected) && expected != revents)
            {
                throw Fail($"poll() output differs: expected revents={want}, got revents={FormatPoll(revents)}",
                    expected: s.FormatAction(), actual: $"poll([{{fd={fd}, events={eventsArg}, revents={FormatPoll(revents)}}}], 1, {timeoutMs})");
            }
            return new Outcome(revents == 0 ? 0 : 1);
        }, timeoutMs != 0, deadline);
    }

    /// <summary>Linux tcp_poll in miniature.</summary>
    private static long PollMask(ScriptSocket sock)
    {
        if (sock.Listener is { } l) return l.CompletedCount > 0 ? PollIn | PollRdNorm : 0;
        if (sock.Connection is not { } c) return PollOut | PollHup;
        long mask = 0;
        if (sock.PendingError is not null || !c.ErrorQueue.IsEmpty) mask |= PollErr;
        bool finReceived = c.IsEndOfStream || c.State is TcpState.CloseWait or TcpState.LastAck or TcpState.Closing or TcpState.TimeWait
            || (c.State == TcpState.Closed && c.Error is not null);
        bool closed = c.State == TcpState.Closed;
        if (closed || (finReceived && sock.WriteShut)) mask |= PollHup;
        if (finReceived) mask |= PollIn | PollRdNorm | PollRdHup;
        // Linux: a Fast Open connect whose SYN waits for data is writable, so the application writes that data.
        if (c.IsSynDeferred) return mask | PollOut | PollWrNorm;
        if (c.State is TcpState.SynSent or TcpState.SynReceived) return mask;
        if (c.Readable > 0) mask |= PollIn | PollRdNorm;
        if (sock.WriteShut || closed || c.IsWritable) mask |= PollOut | PollWrNorm;
        return mask;
    }

    private static string FormatPoll(long revents)
    {
        if (revents == 0) return "0";
        var names = new List<string>();
        foreach (var (bit, name) in new[] { (PollIn, "POLLIN"), (PollOut, "POLLOUT"), (PollErr, "POLLERR"), (PollHup, "POLLHUP"),
            (PollNval, "POLLNVAL"), (PollRdNorm, "POLLRDNORM"), (PollWrNorm, "POLLWRNORM"), (PollRdHup, "POLLRDHUP") })
        {
            if ((revents & bit) != 0) names.Add(name);
        }
        return string.Join('|', names);
    }
}

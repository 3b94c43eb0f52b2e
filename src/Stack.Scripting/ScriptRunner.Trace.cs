using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>The structured trace (<see cref="ScriptResult.Trace"/>): what the calls did, for pictures of the run.</summary>
public sealed partial class ScriptRunner
{
    /// <summary>
    /// Records a call as it returned, before the runner compares it with the script's line, at
    /// <paramref name="at"/> in the trace: where it was when the call began, for one that did not block (the
    /// segments it made the stack send come after it, as they did), or the end for one that blocked.
    /// </summary>
    private void Trace(SyscallEvent s, Outcome actual, long started, int at)
    {
        string result = actual.Errno is null
            ? actual.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : $"-1 {actual.Errno}";
        _trace.Insert(at, new TracedSyscall(ScriptNow, started, $"{s.Name}({string.Join(", ", s.Arguments)})", result, s.Line));
        // A listener is no TcpConnection and raises no StateChanged: its CLOSED to LISTEN is the call's success.
        if (s.Name == "listen" && actual.Errno is null && s.Arguments.Count > 0
            && long.TryParse(s.Arguments[0].ToString(), out long fd) && _fds.TryGetValue((int)fd, out var sock)
            && sock.Listener is { } listener)
        {
            _trace.Insert(at + 1, new TracedStateChange(ScriptNow, listener.LocalEndPoint.Port, 0, TcpState.Closed, TcpState.Listen, "listen()"));
        }
    }
}

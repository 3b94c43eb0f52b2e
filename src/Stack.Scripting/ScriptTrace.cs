using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>
/// One thing that happened in a run, at its script time in microseconds (0 is the script's start), for pictures
/// of the run such as the ladder diagram. The runner records what happened, whether or not the script expected
/// it: every segment on the wire in either direction, every system call with its result, every state change of
/// the stack's connections. The trace is an observation only; what the runner checks does not depend on it.
/// </summary>
public abstract record ScriptTraceEvent(long Time);

/// <summary>Which way a traced segment went: from the script (the peer) to the stack, or from the stack.</summary>
public enum TraceDirection
{
    /// <summary>Injected by the script: a <c>&lt;</c> line.</summary>
    ToStack,

    /// <summary>Sent by the stack (checked against a <c>&gt;</c> line or not).</summary>
    FromStack,
}

/// <summary>
/// A segment on the wire. <see cref="ActualSegment.Seq"/> counts from the sender's ISN and
/// <see cref="ActualSegment.Ack"/> and SACK edges from the receiver's, as the script writes them.
/// </summary>
public sealed record TracedSegment(long Time, TraceDirection Direction, ActualSegment Segment, ushort SourcePort, ushort DestinationPort)
    : ScriptTraceEvent(Time);

/// <summary>
/// A system call as made and what it returned: <see cref="Call"/> is <c>name(args)</c>, <see cref="Result"/> the
/// value or <c>-1 ERRNO</c>. <see cref="Started"/> is when it was called (earlier than <see cref="ScriptTraceEvent.Time"/>
/// for a call that blocked). <see cref="Line"/> is the script's line.
/// </summary>
public sealed record TracedSyscall(long Time, long Started, string Call, string Result, int Line) : ScriptTraceEvent(Time);

/// <summary>
/// A state change of one of the stack's connections (<see cref="TcpConnection.StateChanged"/>), or a listener
/// made by <c>listen()</c> (CLOSED to LISTEN). The ports are the stack's and the peer's (0 for a listener's peer).
/// </summary>
public sealed record TracedStateChange(long Time, ushort LocalPort, ushort RemotePort, TcpState From, TcpState To, string Cause)
    : ScriptTraceEvent(Time);

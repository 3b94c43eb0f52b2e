using System.Text;

namespace Stack.Scripting;

/// <summary>
/// Why a script failed: the line, what went wrong, and — for a packet or a system call — what the script expected
/// and what the stack did, both in packetdrill notation. <see cref="ToString"/> reads <c>file:line: message</c>
/// followed by the two.
/// </summary>
public sealed record ScriptFailure(string File, int Line, string Message, string? Expected = null, string? Actual = null)
{
    public override string ToString()
    {
        var s = new StringBuilder($"{File}:{Line}: {Message}");
        if (Expected is not null) s.Append("\n  expected: ").Append(Expected);
        if (Actual is not null) s.Append("\n  actual:   ").Append(Actual);
        return s.ToString();
    }
}

/// <summary>
/// The outcome of one run: passed or the first failure, and a transcript of what happened, one line per event with
/// its virtual time (like packetdrill's verbose output). <see cref="VirtualElapsed"/> is how far the virtual clock ran.
/// </summary>
public sealed record ScriptResult(
    string File,
    ScriptIpVersion IpVersion,
    ScriptFailure? Failure,
    IReadOnlyList<string> Transcript,
    TimeSpan VirtualElapsed)
{
    public bool Passed => Failure is null;

    /// <summary>Every segment, system call and state change of the run in time order (see <see cref="ScriptTraceEvent"/>).</summary>
    public IReadOnlyList<ScriptTraceEvent> Trace { get; init; } = [];

    public override string ToString() => Passed
        ? $"{File} ({Family}): passed, {ScriptRunner.Seconds(VirtualElapsed.Ticks / TimeSpan.TicksPerMicrosecond)} s of virtual time"
        : $"{Failure} ({Family})";

    private string Family => IpVersion == ScriptIpVersion.Ipv6 ? "ipv6" : "ipv4";
}

/// <summary>Thrown inside the runner to stop at the first failure; never escapes <see cref="ScriptRunner.Run"/>.</summary>
internal sealed class ScriptFailureException(ScriptFailure failure) : Exception(failure.ToString())
{
    public ScriptFailure Failure { get; } = failure;
}

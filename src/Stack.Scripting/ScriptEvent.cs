namespace Stack.Scripting;

/// <summary>
/// One timed line of a script: a <see cref="PacketEvent"/>, a <see cref="SyscallEvent"/> or a
/// <see cref="ShellCommandEvent"/>. <see cref="ToString"/> prints it back in packetdrill notation.
/// </summary>
public abstract record ScriptEvent(int Line, ScriptTime Time)
{
    /// <summary>The event after its time, e.g. <c>&lt; S 0:0(0) win 65535</c> or <c>listen(3, 1) = 0</c>.</summary>
    public abstract string FormatAction();

    public sealed override string ToString() => $"{Time} {FormatAction()}";
}

/// <summary>
/// A backquoted shell command (<c>`sysctl -q net.ipv4.tcp_timestamps=0`</c>), read by the runner and never run
/// (<see cref="Shell.ScriptShell"/>). One written before the first event or at the very end without a time is
/// given <c>+0</c>.
/// </summary>
public sealed record ShellCommandEvent(int Line, ScriptTime Time, string Command) : ScriptEvent(Line, Time)
{
    public override string FormatAction() => $"`{Command}`";
}

/// <summary>
/// A <c>%{ python }%</c> block: the runner takes the socket's TCP_INFO at the block's time and, once the script
/// has run, executes the blocks with python3 with each snapshot's <c>tcpi_*</c> values bound, as packetdrill does.
/// </summary>
public sealed record CodeEvent(int Line, ScriptTime Time, string Code) : ScriptEvent(Line, Time)
{
    public override string FormatAction() => $"%{{ {Code} }}%";
}

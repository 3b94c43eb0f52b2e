using System.Text;

namespace Stack.Apps.Scripting;

public enum ScriptIpVersion
{
    Ipv4,
    Ipv6,
}

/// <summary>
/// The script-wide settings written as <c>--name=value</c> lines before the first event (packetdrill's command-line
/// flags). A runner may override them with <c>with</c>, as packetdrill's command line does.
/// </summary>
public sealed record ScriptSettings(long ToleranceMicroseconds = ScriptSettings.DefaultToleranceMicroseconds, ScriptIpVersion IpVersion = ScriptIpVersion.Ipv4)
{
    /// <summary>packetdrill's default <c>--tolerance_usecs</c>.</summary>
    public const long DefaultToleranceMicroseconds = 4000;

    public static ScriptSettings Default { get; } = new();
}

/// <summary>Something the parser accepted but the runner will not do, such as a shell command.</summary>
public sealed record ScriptWarning(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: warning: {Message}";
}

/// <summary>A parsed packetdrill script: its settings and events in file order.</summary>
public sealed record Script(string File, ScriptSettings Settings, ValueList<ScriptEvent> Events, ValueList<ScriptWarning> Warnings)
{
    /// <summary>The script in packetdrill notation: settings that differ from the defaults, then one event a line.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        if (Settings.ToleranceMicroseconds != ScriptSettings.DefaultToleranceMicroseconds)
            s.Append("--tolerance_usecs=").Append(Settings.ToleranceMicroseconds).Append('\n');
        if (Settings.IpVersion != ScriptIpVersion.Ipv4)
            s.Append("--ip_version=ipv6\n");
        foreach (var e in Events)
            s.Append(e).Append('\n');
        return s.ToString();
    }
}

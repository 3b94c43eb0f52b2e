using System.Text;

namespace Stack.Scripting;

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
    /// <summary>--local_ip: the stack's address (used when the run is in its family).</summary>
    public Stack.IP.IpAddress? LocalAddress { get; init; }

    /// <summary>--remote_ip: the script's address (used when the run is in its family).</summary>
    public Stack.IP.IpAddress? RemoteAddress { get; init; }

    /// <summary>
    /// Why the script cannot run in <paramref name="family"/>, or null: it pins an address of the other family
    /// (--local_ip/--remote_ip), which packetdrill refuses to run in that family too (it parses the address as one
    /// of the run's family), and on which such scripts build their expectations (Fast Open cookies, for one).
    /// </summary>
    public string? FamilyConflict(ScriptIpVersion family)
    {
        foreach (var (name, address) in new[] { ("local_ip", LocalAddress), ("remote_ip", RemoteAddress) })
        {
            if (address is not { } a || a.IsIpv6 == (family == ScriptIpVersion.Ipv6)) continue;
            string pinned = a.IsIpv6 ? "IPv6" : "IPv4";
            return $"the script pins an {pinned} address (--{name}={a}), so it runs in {pinned} only, as under packetdrill";
        }
        return null;
    }

    /// <summary>
    /// --mss: the segment size of inbound TCP packets, as packetdrill gives it to the kernel (a virtio-net header's
    /// gso_size on every packet it writes to its tun device): a packet longer than it arrives as a GRO aggregate.
    /// </summary>
    public int? Mss { get; init; }

    /// <summary>--mtu: the link MTU.</summary>
    public int? Mtu { get; init; }

    /// <summary>--tcp_ts_tick_usecs: outbound TS values are checked against the script's when set.</summary>
    public int? TsTickMicroseconds { get; init; }

    /// <summary>--tolerance_percent: lateness allowed in percent of the time since the start.</summary>
    public double TolerancePercent { get; init; }

    /// <summary>--strict_segments.</summary>
    public bool StrictSegments { get; init; }

    /// <summary>--tcp_ts_ecr_scaled.</summary>
    public bool TsEcrScaled { get; init; }

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
        if (Settings.LocalAddress is { } local) s.Append("--local_ip=").Append(local).Append('\n');
        if (Settings.RemoteAddress is { } remote) s.Append("--remote_ip=").Append(remote).Append('\n');
        if (Settings.Mtu is { } mtu) s.Append("--mtu=").Append(mtu).Append('\n');
        if (Settings.Mss is { } mss) s.Append("--mss=").Append(mss).Append('\n');
        if (Settings.TsTickMicroseconds is { } tick) s.Append("--tcp_ts_tick_usecs=").Append(tick).Append('\n');
        if (Settings.TolerancePercent != 0)
            s.Append("--tolerance_percent=").Append(Settings.TolerancePercent.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        if (Settings.StrictSegments) s.Append("--strict_segments\n");
        if (Settings.TsEcrScaled) s.Append("--tcp_ts_ecr_scaled\n");
        foreach (var e in Events)
            s.Append(e).Append('\n');
        return s.ToString();
    }
}

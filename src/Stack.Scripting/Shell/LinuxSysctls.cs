using System.Globalization;
using System.Numerics;
using Stack.Tcp;
using Stack.Tcp.Congestion;
using Stack.Tcp.FastOpen;
using Stack.Tcp.Sending;

namespace Stack.Scripting.Shell;

/// <summary>The stack-wide settings a script's sysctl lines reach: new sockets' configuration and SYN cookies.</summary>
public sealed record SysctlState(TcpConfig Config, SynCookieMode SynCookies, FastOpenModes FastOpen = FastOpenModes.Client,
    FastOpenKey? FastOpenKey = null, FastOpenKey? FastOpenBackupKey = null)
{
    /// <summary>Linux's defaults: tcp_fastopen=1 (clients only), a random key (none here until one is set: the layer's own).</summary>
    public static SysctlState Linux { get; } = new(TcpConfig.Default, SynCookieMode.WhenFull);
}

/// <summary>
/// Linux's TCP sysctls (Documentation/networking/ip-sysctl.rst) mapped onto the stack's settings, each as the
/// kernel applies it. A setting the stack already behaves as (tcp_fack=0, a FIFO pacing ratio it does
/// not use) is accepted silently; one it has no knob for is reported, with the value, and changes nothing.
/// </summary>
public static class LinuxSysctls
{
    /// <summary>The Fast Open key packetdrill's defaults.sh sets (tcp_fastopen_key), which its TFO_COOKIE values assume.</summary>
    public static FastOpenKey DefaultsFastOpenKey { get; } = FastOpenKey.Parse("a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4");

    /// <summary>
    /// The tcp_fastopen bits the stack has. Linux's defaults.sh sets 0x70403: the 0x70000 bits are no mode Linux
    /// 6.x reads either, so they are dropped with a note.
    /// </summary>
    private const FastOpenModes KnownFastOpenBits = FastOpenModes.Client | FastOpenModes.Server | FastOpenModes.ClientWithoutCookie
        | FastOpenModes.ServerWithoutCookie | FastOpenModes.ServerOnEveryListener;

    /// <summary>Linux's net.core.rmem_max default: the window scale is chosen for max(tcp_rmem[2], rmem_max).</summary>
    private const long RmemMax = 212_992;

    /// <summary>Applies one setting; returns null when applied or equal to what the stack does, else why not.</summary>
    public static string? Apply(ref SysctlState state, string name, string value)
    {
        var c = state.Config;
        string key = name.StartsWith("net.ipv4.", StringComparison.Ordinal) ? name["net.ipv4.".Length..] : name;
        long[] numbers = Numbers(value);
        long n = numbers.Length > 0 ? numbers[0] : long.MinValue;
        bool number = numbers.Length > 0;
        TcpConfig? next = key switch
        {
            "tcp_rmem" when numbers.Length == 3 => c with
            {
                ReceiveBufferSize = Buffer(numbers[1]),
                WindowScale = WindowScaleFor(numbers[2]),
            },
            "tcp_wmem" when numbers.Length == 3 => c with { SendBufferSize = Buffer(numbers[1]), SendBufferMax = Buffer(numbers[2]) },
            "tcp_notsent_lowat" when number && n > 0 => c with { NotSentLowat = Math.Min(n, uint.MaxValue) },
            "tcp_timestamps" when number => c with { Timestamps = n != 0 },
            "tcp_sack" when number => c with { Sack = n != 0 },
            "tcp_dsack" when number => c with { Dsack = n != 0 },
            "tcp_window_scaling" when number => c with { WindowScaling = n != 0 },
            "tcp_frto" when number => c with { Frto = n != 0 },
            "tcp_ecn" when n is >= 0 and <= 2 => c with { Ecn = (EcnMode)n },
            "tcp_slow_start_after_idle" when number => c with { SlowStartAfterIdle = n != 0 },
            "tcp_min_tso_segs" when n is >= 1 and <= 255 => c with { MinTsoSegments = (int)n },
            "tcp_synack_retries" when n is >= 0 and <= 255 => c with { SynAckRetries = (int)n },
            // Linux gives up on a connect after the SYN and n retries, each RTO doubled: (2^(n+1) - 1) x 1 s.
            "tcp_syn_retries" when n is >= 1 and <= 127 => c with
            {
                ConnectTimeout = c.InitialRto * (Math.Pow(2, Math.Min(n, 20) + 1) - 1),
            },
            "tcp_retries2" when n is >= 0 and <= 255 => c with { Retries = (int)n },
            "tcp_fin_timeout" when n > 0 => c with { FinWait2Timeout = TimeSpan.FromSeconds(n) },
            "tcp_keepalive_time" when n > 0 => c with { KeepAliveIdle = TimeSpan.FromSeconds(n) },
            "tcp_keepalive_intvl" when n > 0 => c with { KeepAliveInterval = TimeSpan.FromSeconds(n) },
            "tcp_keepalive_probes" when n > 0 => c with { KeepAliveProbes = (int)n },
            "tcp_congestion_control" => value.Trim() switch
            {
                "cubic" => c with { CongestionControl = CongestionControlKind.Cubic },
                "reno" => c with { CongestionControl = CongestionControlKind.NewReno },
                "bbr" => c with { CongestionControl = CongestionControlKind.Bbr },
                _ => null,
            },
            // Bit 0 of tcp_recovery is RACK; without it Linux falls back to the DupThresh rule.
            "tcp_recovery" when number => c with { LossDetection = (n & 1) != 0 ? LossDetectionKind.Rack : LossDetectionKind.DupThresh },
            // tcp_early_retrans 3 and 4 enable TLP (4: with RACK's timer, which is how the stack runs it).
            "tcp_early_retrans" when number => c with { TailLossProbe = n >= 3 },
            "tcp_mtu_probing" when n is >= 0 and <= 2 => c with { MtuProbing = (MtuProbing)n },
            "tcp_base_mss" when n is >= 48 and <= 65535 => c with { MtuProbeBaseMss = (int)n },
            "tcp_probe_threshold" when n is >= 0 and <= int.MaxValue => c with { MtuProbeThreshold = (int)n },
            "tcp_probe_interval" when n is >= 0 and <= uint.MaxValue => c with { MtuProbeInterval = TimeSpan.FromSeconds(n) },
            "tcp_mtu_probe_floor" when n is >= 48 and <= 65535 => c with { MtuProbeFloor = (int)n },
            _ => null,
        };
        if (next is not null)
        {
            state = state with { Config = next };
            return null;
        }
        if (key == "tcp_fastopen" && number && n >= 0)
        {
            state = state with { FastOpen = (FastOpenModes)(n & (long)KnownFastOpenBits) };
            return (n & ~(long)KnownFastOpenBits) == 0 ? null
                : $"sysctl {name}={value}: bits 0x{n & ~(long)KnownFastOpenBits:x} are not Fast Open modes the stack has (kept: 0x{n & (long)KnownFastOpenBits:x})";
        }
        if (key == "tcp_fastopen_key")
        {
            // "primary" or "primary,backup", each four hex words joined by '-'.
            var keys = value.Split(',', StringSplitOptions.TrimEntries);
            if (keys.Length is 1 or 2 && FastOpenKey.TryParse(keys[0], out var primary))
            {
                FastOpenKey? backup = null;
                if (keys.Length == 2 && !FastOpenKey.TryParse(keys[1], out backup)) return $"sysctl {name}={value}: not a key";
                state = state with { FastOpenKey = primary, FastOpenBackupKey = backup };
                return null;
            }
            return $"sysctl {name}={value}: not a key";
        }
        if (key == "tcp_syncookies" && n is >= 0 and <= 2)
        {
            state = state with { SynCookies = n switch { 0 => SynCookieMode.Off, 1 => SynCookieMode.WhenFull, _ => SynCookieMode.Always } };
            return null;
        }
        return AlreadySo(key, n, number) ? null : $"sysctl {name}={value}: the stack has no such setting";
    }

    /// <summary>Settings whose value is what the stack does anyway.</summary>
    private static bool AlreadySo(string key, long n, bool number) => key switch
    {
        "tcp_fack" => n == 0, // Removed from Linux 4.15; RACK replaced it.
        "tcp_ecn_option" or "tcp_pacing_ss_ratio" or "tcp_pacing_ca_ratio" or "tcp_tso_win_divisor"
            or "tcp_reordering" or "tcp_autocorking" => true,
        "tcp_no_metrics_save" or "tcp_moderate_rcvbuf" => number,
        _ => false,
    };

    private static int Buffer(long bytes) => (int)Math.Clamp(bytes, 2048, Stack.Tcp.Buffers.SendBuffer.MaxCapacity);

    /// <summary>Linux's tcp_select_initial_window: the shift that lets the largest possible buffer be advertised.</summary>
    private static byte WindowScaleFor(long rmemMax) =>
        (byte)Math.Clamp(BitOperations.Log2((ulong)Math.Max(rmemMax, RmemMax)) - 15, 0, 14);

    private static long[] Numbers(string value)
    {
        var parts = value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var numbers = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string p = parts[i];
            bool ok = p.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? long.TryParse(p.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out numbers[i])
                : long.TryParse(p, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out numbers[i]);
            if (!ok) return [];
        }
        return numbers;
    }
}

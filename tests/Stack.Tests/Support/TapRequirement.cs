namespace Stack.Tests.Support;

/// <summary>
/// The gate at the start of every interop test. Where the machine cannot run it (not root, no /dev/net/tun, no
/// `ip`, a needed tool missing) the test is skipped with the reason, except under CI=true, where the same reason
/// fails it: CI must never pass by skipping.
/// </summary>
public static class TapRequirement
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Needs root, /dev/net/tun and `ip`, plus each of <paramref name="tools"/> (e.g. "ping") on PATH.</summary>
    public static void Check(params string[] tools)
    {
        var missing = new List<string>();
        if (!OperatingSystem.IsLinux()) missing.Add("Linux");
        else
        {
            if (!Environment.IsPrivilegedProcess) missing.Add("root (network namespaces and TAPs need CAP_NET_ADMIN and CAP_SYS_ADMIN)");
            if (!File.Exists("/dev/net/tun")) missing.Add("/dev/net/tun (modprobe tun, or docker run --device /dev/net/tun --cap-add NET_ADMIN)");
        }
        AddMissingTools(missing, ["ip", .. tools]);
        Fail(missing);
    }

    /// <summary>Only tools on PATH (e.g. tshark to read back a trace); no root needed.</summary>
    public static void CheckTools(params string[] tools)
    {
        var missing = new List<string>();
        AddMissingTools(missing, tools);
        Fail(missing);
    }

    public static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);

    private static void AddMissingTools(List<string> missing, IEnumerable<string> tools)
    {
        foreach (var tool in tools)
        {
            if (FindOnPath(tool) is null) missing.Add($"`{tool}` on PATH ({Package(tool)})");
        }
    }

    private static string Package(string tool) => tool switch
    {
        "ip" => "apt-get install -y iproute2",
        "ping" => "apt-get install -y iputils-ping",
        "tshark" => "DEBIAN_FRONTEND=noninteractive apt-get install -y tshark",
        _ => $"install {tool}",
    };

    private static void Fail(List<string> missing)
    {
        if (missing.Count == 0) return;
        var reason = "Interop test needs " + string.Join("; ", missing);
        if (IsCi) throw new InvalidOperationException(reason + ". CI=true, so this fails instead of skipping.");
        Skip.If(true, reason);
    }
}

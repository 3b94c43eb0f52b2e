using System.Globalization;
using Stack.Tests.Support;

namespace Stack.Tests.Packaging;

/// <summary>
/// The packages scripts/pack makes, packed once per test run into a folder of its own, at a version no other run
/// uses (so NuGet's global cache never serves an older build of the same version).
/// </summary>
internal static class PackedArtifacts
{
    private static readonly Lazy<(string Folder, string Version)> s_packed = new(Pack, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Folder => s_packed.Value.Folder;

    public static string Version => s_packed.Value.Version;

    public static readonly string[] Libraries =
        ["Stack.Link", "Stack.IP", "Stack.Tcp", "Stack.Udp", "Stack.Sockets", "Stack.Scripting", "Stack.AspNetCore"];

    private static (string, string) Pack()
    {
        var version = string.Create(CultureInfo.InvariantCulture, $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}");
        var folder = Path.Combine(Path.GetTempPath(), $"stack-packages-{version}");
        var (code, output) = Tools.Run($"{Path.Combine(TestNamespace.RepoRoot, "scripts", "pack")} --version {version} --output {folder}", 900);
        if (code != 0) throw new InvalidOperationException($"scripts/pack exited {code}:\n{output}");
        return (folder, version);
    }
}

using System.Diagnostics;

namespace Stack.Tests.Support;

/// <summary>Runs host tools (tshark and friends) that read files and send nothing.</summary>
internal static class Tools
{
    public static bool Has(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    /// <summary>Runs a shell command; returns its exit code and stdout (stderr goes to the message on failure).</summary>
    public static (int Code, string Output) Run(string command, int seconds = 60)
    {
        var psi = new ProcessStartInfo("sh", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(seconds)))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"timed out after {seconds} s: {command}");
        }
        return (p.ExitCode, p.ExitCode == 0 ? stdout.Result : stdout.Result + stderr.Result);
    }
}

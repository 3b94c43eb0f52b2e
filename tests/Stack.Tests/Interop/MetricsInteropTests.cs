using System.Diagnostics;
using System.Globalization;
using Stack.Sockets.Diagnostics;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// The stack's meter as .NET users watch it: the dotnet-counters tool (installed from NuGet by the test) attached
/// to a running `stack serve` while the kernel sends it a known number of bytes.
/// </summary>
public sealed class MetricsInteropTests(ITestOutputHelper output)
{
    private const string CountersVersion = "10.0.750501";
    private const int Total = 8 << 20;
    private static readonly Lock InstallLock = new();

    [SkippableFact]
    public void Dotnet_counters_records_the_bytes_a_kernel_client_sends_to_discard()
    {
        TapRequirement.Check("socat");
        var counters = InstallDotnetCounters();
        using var ns = TestNamespace.Create(taps: 1);
        var stack = Path.Combine(AppContext.BaseDirectory, "stack.dll");
        var payload = Path.Combine(Path.GetTempPath(), $"stack-metrics-{Environment.ProcessId}.bin");
        var csv = Path.Combine(Path.GetTempPath(), $"stack-metrics-{Environment.ProcessId}.csv");
        var bytes = new byte[Total];
        new Random(16).NextBytes(bytes);
        File.WriteAllBytes(payload, bytes);
        File.Delete(csv);
        try
        {
            using var serve = ns.StartBackground(
                $"exec dotnet {stack} serve --tap tap0 --ip 192.0.2.2/24 --mac 02:00:53:54:00:22 --services discard");
            ns.WaitUntilAnswering("192.0.2.2", serve);

            // The collector runs outside the namespace: the runtime's diagnostic socket is a file in /tmp, which
            // `ip netns exec` shares. It samples every second.
            var stdout = new OutputLog();
            var stderr = new OutputLog();
            using var collector = ProcessRunner.Start(counters,
                ["collect", "-p", serve.ProcessId.ToString(CultureInfo.InvariantCulture), "--counters", StackMetrics.MeterName,
                 "--format", "csv", "-o", csv, "--refresh-interval", "1"], stdout, stderr);
            try
            {
                Assert.True(WaitForSample(csv, TimeSpan.FromSeconds(30)), $"dotnet-counters wrote no sample:\n{stdout.Text}{stderr.Text}");

                // socat half-closes after the file; discard closes when it has read every byte, which ends socat.
                var (code, text, err) = ns.Exec($"socat -t 20 OPEN:{payload},rdonly TCP:192.0.2.2:9", TimeSpan.FromSeconds(60));
                Assert.True(code == 0, $"socat exited {code}: {text}{err}");
                // Two more samples, so that one is surely taken after the last byte.
                int samples = Samples(csv);
                WaitUntil(() => Samples(csv) >= samples + 2, TimeSpan.FromSeconds(20));
            }
            finally
            {
                Stop(collector);
            }
            var recorded = File.ReadAllText(csv);
            output.WriteLine(string.Join('\n', recorded.Split('\n').Where(l => l.Contains("stack.tcp.bytes", StringComparison.Ordinal)).TakeLast(8)));
            Assert.Equal(Total, Received(recorded));
        }
        finally
        {
            File.Delete(payload);
            File.Delete(csv);
        }
    }

    /// <summary>
    /// The bytes received as the CSV gives them: dotnet-counters prints an observable counter's increase over
    /// each interval ("Rate"), so the sum over the run is the total (the counter starts at zero in a fresh stack).
    /// </summary>
    private static long Received(string csv)
    {
        long sum = 0, last = 0;
        bool rates = false;
        foreach (var line in csv.Split('\n'))
        {
            if (!line.Contains("stack.tcp.bytes", StringComparison.Ordinal) || !line.Contains("direction=receive", StringComparison.Ordinal)) continue;
            var fields = line.TrimEnd('\r').Split(',');
            var value = (long)double.Parse(fields[^1], CultureInfo.InvariantCulture);
            rates |= fields[^2].Contains("Rate", StringComparison.OrdinalIgnoreCase);
            sum += value;
            last = value;
        }
        return rates ? sum : last;
    }

    /// <summary>Samples written so far: distinct timestamps (the first field) of the CSV's data lines.</summary>
    private static int Samples(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd().Split('\n').Skip(1)
                .Where(l => l.Contains(',', StringComparison.Ordinal)).Select(l => l[..l.IndexOf(',', StringComparison.Ordinal)]).Distinct().Count();
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    private static bool WaitForSample(string path, TimeSpan timeout)
    {
        WaitUntil(() => Samples(path) > 0, timeout);
        return Samples(path) > 0;
    }

    private static void WaitUntil(Func<bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done() && DateTime.UtcNow < deadline) Thread.Sleep(100);
    }

    /// <summary>dotnet-counters stops on SIGINT (Ctrl+C) and flushes its file; killed if it does not within 10 s.</summary>
    private static void Stop(Process collector)
    {
        if (collector.HasExited) return;
        ProcessRunner.Run("kill", ["-s", "INT", collector.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
        if (!collector.WaitForExit(TimeSpan.FromSeconds(10))) collector.Kill(entireProcessTree: true);
        collector.WaitForExit();
    }

    /// <summary>Installs the tool once per machine into a cache folder under /tmp (`dotnet tool install --tool-path`, from NuGet).</summary>
    private static string InstallDotnetCounters()
    {
        var dir = Path.Combine(Path.GetTempPath(), "stack-tools", $"dotnet-counters-{CountersVersion}");
        var tool = Path.Combine(dir, "dotnet-counters");
        lock (InstallLock)
        {
            if (File.Exists(tool)) return tool;
            var (code, stdout, stderr) = ProcessRunner.Run("dotnet",
                ["tool", "install", "dotnet-counters", "--version", CountersVersion, "--tool-path", dir], TimeSpan.FromMinutes(3));
            // A TAP test skips only for want of root or /dev/net/tun: a tool that cannot be installed fails it.
            Assert.True(code == 0 && File.Exists(tool), $"dotnet tool install dotnet-counters {CountersVersion} failed ({code}): {stdout}{stderr}");
            return tool;
        }
    }
}

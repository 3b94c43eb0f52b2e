using System.Globalization;
using System.Diagnostics;
using System.Text;

namespace Stack.Tests.Support;

/// <summary>
/// A throwaway network namespace for interop tests, made by <c>scripts/tap-setup up --netns NAME --taps N</c>:
/// bridge br0 with the kernel at 192.0.2.1/24 and 2001:db8::1/64, and persistent TAPs tap0…tapN-1 in it. Every
/// packet a test sends stays inside; Dispose deletes it all. Call <see cref="TapRequirement.Check"/> first.
/// </summary>
public sealed class TestNamespace : IDisposable
{
    private static readonly TimeSpan SetupTimeout = TimeSpan.FromSeconds(30);
    private static int s_counter;
    private static int s_sweptStale;
    private bool _disposed;

    private TestNamespace(string name) => Name = name;

    /// <summary>The namespace's name, e.g. "stk-1234-1" (process id, then a counter).</summary>
    public string Name { get; }

    /// <summary>The folder holding Stack.sln, found by walking up from the test assembly.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string TapSetup => Path.Combine(RepoRoot, "scripts", "tap-setup");

    /// <param name="queues">More than 1: the TAPs are multi-queue (tap-setup --queues), for `serve --queues`.</param>
    public static TestNamespace Create(int taps = 1, int queues = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(taps, 1);
        if (Interlocked.Exchange(ref s_sweptStale, 1) == 0) RemoveStale();
        var name = $"stk-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";
        var (code, stdout, stderr) = ProcessRunner.Run(TapSetup,
            ["up", "--netns", name, "--taps", taps.ToString(), .. queues > 1 ? new[] { "--queues", queues.ToString() } : []], SetupTimeout);
        if (code != 0)
        {
            ProcessRunner.Run(TapSetup, ["down", "--netns", name], SetupTimeout);
            throw new InvalidOperationException($"tap-setup up --netns {name} failed with exit code {code}:\n{stdout}{stderr}");
        }
        return new TestNamespace(name);
    }

    /// <summary>Runs <c>sh -c COMMAND</c> inside the namespace; killed (exit code 124) if it outlasts the timeout.</summary>
    public (int ExitCode, string StdOut, string StdErr) Exec(string command, TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ProcessRunner.Run("ip", ["netns", "exec", Name, "sh", "-c", command], timeout);
    }

    /// <summary>Like <see cref="Exec"/>, but fails the test with the command's output unless it exits 0.</summary>
    public string ExecOk(string command, TimeSpan? timeout = null)
    {
        var (code, stdout, stderr) = Exec(command, timeout ?? TimeSpan.FromSeconds(10));
        if (code != 0) throw new InvalidOperationException($"`{command}` in {Name} exited {code}:\n{stdout}{stderr}");
        return stdout;
    }

    /// <summary>
    /// Waits until bridge port <paramref name="port"/> (tap0, or a veth in br0) forwards. A TAP has carrier only
    /// once a process opens it, and the kernel notices carrier changes with up to a second's delay (linkwatch), so
    /// a frame sent straight after Open can be dropped by the bridge. Call this after opening the device.
    /// </summary>
    public void WaitUntilForwarding(string port, TimeSpan? timeout = null)
    {
        const string Forwarding = "3"; // BR_STATE_FORWARDING
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        var state = "";
        while (DateTime.UtcNow < deadline)
        {
            var (_, stdout, _) = Exec($"cat /sys/class/net/{port}/brport/state", TimeSpan.FromSeconds(5));
            state = stdout.Trim();
            if (state == Forwarding) return;
            Thread.Sleep(20);
        }
        throw new InvalidOperationException($"{port} in {Name} is not forwarding in br0 (brport/state '{state}'); is the device open and up?");
    }

    /// <summary>
    /// Waits until interface <paramref name="device"/> is operationally up. Until the kernel has processed its
    /// carrier (linkwatch, up to a second) a veth still has the no-op qdisc, which silently drops what is sent on it.
    /// </summary>
    public void WaitUntilUp(string device, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        var state = "";
        while (DateTime.UtcNow < deadline)
        {
            var (_, stdout, _) = Exec($"cat /sys/class/net/{device}/operstate", TimeSpan.FromSeconds(5));
            state = stdout.Trim();
            if (state == "up") return;
            Thread.Sleep(20);
        }
        throw new InvalidOperationException($"{device} in {Name} is not up (operstate '{state}')");
    }

    /// <summary>
    /// Pings <paramref name="address"/> until it answers, while <paramref name="server"/> (the stack serving it,
    /// still starting) runs: at most 30 tries of a second each. Fails the test with the server's log if it never does.
    /// </summary>
    public void WaitUntilAnswering(string address, BackgroundProcess server)
    {
        bool up = false;
        for (int attempt = 0; attempt < 30 && !up && !server.HasExited; attempt++)
            up = Exec($"ping -c 1 -W 1 {address}", TimeSpan.FromSeconds(5)).ExitCode == 0;
        Assert.True(up, $"`{server.Description}` never answered at {address}: {server.StdErr}");
    }

    /// <summary>Starts a long-running tool inside the namespace (tcpdump, socat, nc -l…); Dispose kills it.</summary>
    public BackgroundProcess StartBackground(string command)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new BackgroundProcess(command, ["netns", "exec", Name, "sh", "-c", command]);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var (code, stdout, stderr) = ProcessRunner.Run(TapSetup, ["down", "--netns", Name], SetupTimeout);
        if (code != 0) Console.Error.WriteLine($"tap-setup down --netns {Name} exited {code}: {stdout}{stderr}");
    }

    public override string ToString() => Name;

    /// <summary>Namespaces left by test processes that died before their Dispose (stk-PID-N with PID gone).</summary>
    private static void RemoveStale()
    {
        if (!Directory.Exists("/var/run/netns")) return;
        foreach (var path in Directory.GetFiles("/var/run/netns", "stk-*"))
        {
            var parts = Path.GetFileName(path).Split('-');
            if (parts.Length == 3 && int.TryParse(parts[1], out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                ProcessRunner.Run(TapSetup, ["down", "--netns", Path.GetFileName(path)], SetupTimeout);
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Stack.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Stack.sln above {AppContext.BaseDirectory}: run the tests from the repository's build output.");
    }
}

/// <summary>A tool running in the background; Dispose kills it and everything it started.</summary>
public sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly OutputLog _stdout = new();
    private readonly OutputLog _stderr = new();

    internal BackgroundProcess(string description, string[] ipArguments)
    {
        Description = description;
        _process = ProcessRunner.Start("ip", ipArguments, _stdout, _stderr);
    }

    public string Description { get; }

    public bool HasExited => _process.HasExited;

    public string StdOut => _stdout.Text;

    public string StdErr => _stderr.Text;

    public int ExitCode => _process.ExitCode;

    /// <summary>The process id (`ip netns exec` and `sh -c "exec ..."` exec in place: it is the tool's own).</summary>
    public int ProcessId => _process.Id;

    /// <summary>Sends a signal (TERM, INT…) to the process, as a user stopping it would.</summary>
    public void Signal(string name) => ProcessRunner.Run("kill", ["-s", name, _process.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));

    /// <summary>
    /// Waits until the process has printed <paramref name="text"/> on stdout (a server's "ready"), woken by each
    /// line it prints; fails the test if its output ends, or <paramref name="seconds"/> pass, without it.
    /// </summary>
    public void WaitForOutput(string text, int seconds = 10) =>
        Assert.True(_stdout.WaitFor(text, TimeSpan.FromSeconds(seconds)), $"`{Description}` did not print '{text}':\n{StdOut}{StdErr}");

    /// <summary>As <see cref="WaitForOutput"/>, on stderr (where the stack's CLI logs that it is up).</summary>
    public void WaitForError(string text, int seconds = 10) =>
        Assert.True(_stderr.WaitFor(text, TimeSpan.FromSeconds(seconds)), $"`{Description}` did not print '{text}' on stderr:\n{StdErr}");

    /// <summary>Waits for the process to end by itself; false if it is still running after the timeout.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}

internal static class ProcessRunner
{
    public const int TimedOut = 124; // what timeout(1) returns

    public static (int ExitCode, string StdOut, string StdErr) Run(string file, string[] arguments, TimeSpan timeout)
    {
        var stdout = new OutputLog();
        var stderr = new OutputLog();
        using var process = Start(file, arguments, stdout, stderr);
        if (!process.WaitForExit(timeout))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended just now.
            }
            process.WaitForExit(TimeSpan.FromSeconds(5));
            stderr.Append($"[{file} {string.Join(' ', arguments)}: killed after {timeout.TotalSeconds:0.#} s]");
            return (TimedOut, stdout.Text, stderr.Text);
        }
        process.WaitForExit(); // lets the asynchronous output readers finish
        return (process.ExitCode, stdout.Text, stderr.Text);
    }

    public static Process Start(string file, string[] arguments, OutputLog stdout, OutputLog stderr)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => stdout.Append(e.Data);
        process.ErrorDataReceived += (_, e) => stderr.Append(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}

/// <summary>What a process printed on one stream, line by line; a waiter wakes on each line and at the end.</summary>
internal sealed class OutputLog
{
    private readonly StringBuilder _text = new();
    private bool _ended;

    public string Text
    {
        get { lock (_text) return _text.ToString(); }
    }

    /// <summary>Adds a line (with its newline); null, as Process reports the end of the stream, ends the log.</summary>
    public void Append(string? line)
    {
        lock (_text)
        {
            if (line is null) _ended = true;
            else _text.Append(line).Append('\n');
            Monitor.PulseAll(_text);
        }
    }

    /// <summary>True once <paramref name="text"/> is in the log; false if the stream ends or the timeout passes first.</summary>
    public bool WaitFor(string text, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_text)
        {
            while (!_text.ToString().Contains(text, StringComparison.Ordinal))
            {
                long left = deadline - Environment.TickCount64;
                if (_ended || left <= 0) return false;
                Monitor.Wait(_text, TimeSpan.FromMilliseconds(left));
            }
            return true;
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>
/// <c>%{ python }%</c> blocks, as packetdrill runs them: at each block's time the runner takes the TCP_INFO of the
/// socket under test (the last one accepted or connected); when the script has run, one python3 program binds each
/// snapshot's <c>tcpi_*</c> values (and packetdrill's symbols: TCP_ESTABLISHED…, TCP_CA_Open…, TCPI_OPT_…) and runs
/// the blocks in order. An exception (a failed <c>assert</c>) fails the script at its block's line.
/// </summary>
public sealed partial class ScriptRunner
{
    private static readonly TimeSpan PythonTimeout = TimeSpan.FromSeconds(30);

    private readonly List<(CodeEvent Code, Dictionary<string, long> Info)> _code = [];
    private ScriptSocket? _underTest;

    private void TakeTcpInfo(CodeEvent e)
    {
        var info = new Dictionary<string, long>();
        if (_underTest is { } sock)
        {
            foreach (var (name, value) in AllTcpInfo(sock)) info[name] = value;
        }
        _code.Add((e, info));
        _transcript.Add($"{Seconds(ScriptNow)} {e.FormatAction()} ({info.Count} tcpi_* values taken)");
    }

    /// <summary>Runs the blocks collected; fails at the first block that raises.</summary>
    private void RunCode()
    {
        if (_code.Count == 0) return;
        var program = new StringBuilder("""
            import sys, traceback
            def _hook(kind, value, tb):
                sys.stderr.write("@line %d\n" % _line)
                traceback.print_exception(kind, value, tb)
            sys.excepthook = _hook

            """);
        foreach (var state in Enum.GetValues<TcpState>())
            program.Append(state.ToLinuxName()).Append(" = ").Append(state.ToLinuxCode()).Append('\n');
        foreach (var ca in Enum.GetValues<RecoveryState>())
            program.Append("TCP_CA_").Append(ca == RecoveryState.Cwr ? "CWR" : ca.ToString()).Append(" = ").Append((int)ca).Append('\n');
        program.Append("TCPI_OPT_TIMESTAMPS = 1\nTCPI_OPT_SACK = 2\nTCPI_OPT_WSCALE = 4\nTCPI_OPT_ECN = 8\n")
            .Append("TCPI_OPT_ECN_SEEN = 16\nTCPI_OPT_SYN_DATA = 32\nTCPI_OPT_USEC_TS = 64\nTCPI_OPT_TFO_CHILD = 128\n\n");
        foreach (var (code, info) in _code)
        {
            foreach (var (name, value) in info)
                program.Append(name).Append(" = ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
            program.Append("_line = ").Append(code.Line.ToString(CultureInfo.InvariantCulture)).Append('\n');
            program.Append(code.Code).Append("\n\n");
        }
        string path = Path.Combine(Path.GetTempPath(), $"stack-script-{Environment.ProcessId}-{Guid.NewGuid():N}.py");
        File.WriteAllText(path, program.ToString());
        try
        {
            var (exit, error) = RunPython(path);
            if (exit == 0) return;
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            int line = lines.Where(l => l.StartsWith("@line ", StringComparison.Ordinal))
                .Select(l => int.Parse(l[6..], CultureInfo.InvariantCulture)).DefaultIfEmpty(_code[^1].Code.Line).Last();
            _line = line;
            string why = lines.LastOrDefault(l => !l.StartsWith("@line ", StringComparison.Ordinal))?.Trim() ?? $"python3 exited {exit}";
            throw Fail($"python block failed: {why}", expected: _code.First(c => c.Code.Line == line).Code.FormatAction(),
                actual: string.Join(", ", _code.First(c => c.Code.Line == line).Info.Select(kv => $"{kv.Key}={kv.Value}")));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (int Exit, string Error) RunPython(string path)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(path);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, $"python3 is needed for %{{ }}% blocks and could not be started: {e.Message}");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(PythonTimeout))
            {
                process.Kill(entireProcessTree: true);
                return (124, $"python3 ran longer than {PythonTimeout.TotalSeconds} s");
            }
            return (process.ExitCode, stderr.Result);
        }
    }
}

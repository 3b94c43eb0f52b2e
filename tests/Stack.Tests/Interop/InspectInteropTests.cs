using System.Text.RegularExpressions;
using Stack.Apps;
using Stack.Apps.Services;
using Stack.Sockets.Control;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// `stack ss` and `stack nstat` against `stack serve` on a TAP, with the kernel as the peer: what a user sees of a
/// running stack without a pcap.
/// </summary>
public sealed class InspectInteropTests(ITestOutputHelper output)
{
    private static readonly string Stack = Path.Combine(AppContext.BaseDirectory, "stack.dll");

    private static (int Code, string Out, string Err) Cli(params string[] args) => CliRunner.Run(args);

    /// <summary>
    /// Waits until the control socket of the stack <paramref name="name"/> answers: `serve` answers ping once its
    /// loop runs, and opens the control socket a moment later (CI saw a first nstat fail in between).
    /// </summary>
    private static void WaitUntilControlAnswers(string name)
    {
        var (code, _, err) = (-1, "", "");
        for (int attempt = 0; attempt < 100 && code != 0; attempt++)
        {
            if (attempt > 0) Thread.Sleep(100);
            (code, _, err) = Cli("ss", "-l", "--name", name);
        }
        Assert.True(code == 0, $"the control socket of {name} never answered: {err}");
    }

    [SkippableFact]
    public void Ss_shows_an_echo_connection_with_its_rtt_and_cwnd_and_the_listener_with_its_backlog()
    {
        TapRequirement.Check("ping", "python3");
        using var ns = TestNamespace.Create(taps: 1);
        string name = $"inspect-{Environment.ProcessId}";
        using var serve = ns.StartBackground(
            $"exec dotnet {Stack} serve --tap tap0 --ip 192.0.2.2/24 --mac 02:00:53:54:00:31 --name {name} --log-level warning");
        ns.WaitUntilAnswering("192.0.2.2", serve);
        WaitUntilControlAnswers(name);
        // A kernel client that echoes a few lines, prints its port, then holds the connection.
        using var client = ns.StartBackground(
            "exec python3 -u -c \"import socket,time\ns=socket.create_connection(('192.0.2.2',7))\n" +
            "for i in range(20):\n s.sendall(b'x'*100); n=0\n while n<100: n+=len(s.recv(100-n))\n" +
            "print('port', s.getsockname()[1]); time.sleep(60)\"");
        client.WaitForOutput("port", 20);
        string port = Regex.Match(client.StdOut, @"port (\d+)").Groups[1].Value;

        // Until the kernel's delayed ACK of the last echo is in (Send-Q 0).
        string[] lines = [];
        int row = -1;
        for (int attempt = 0; attempt < 50 && row < 0; attempt++)
        {
            if (attempt > 0) Thread.Sleep(100);
            var (code, text, err) = Cli("ss", "-tin", "--name", name);
            output.WriteLine(text + err);
            Assert.Equal(0, code);
            lines = text.Split('\n');
            row = Array.FindIndex(lines, l => Regex.IsMatch(l, $@"^ESTAB\s+0\s+0\s+192\.0\.2\.2:7\s+192\.0\.2\.1:{port}\s*$"));
        }
        Assert.True(row > 0, "no ESTAB row for the echo connection with empty queues");
        var info = lines[row + 1];
        var rtt = Regex.Match(info, @" rtt:(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?) ");
        Assert.True(rtt.Success, info);
        double rttMs = double.Parse(rtt.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(rttMs, 0.001, 200); // µs resolution, a TAP round trip
        Assert.Matches(@" cwnd:\d+ ", info);
        Assert.Matches(@" bytes_received:2000 ", info);
        Assert.Matches(@" bytes_acked:200[01] ", info); // Linux counts the SYN in it too

        var (lcode, listening, _) = Cli("ss", "-tln", "--name", name);
        output.WriteLine(listening);
        Assert.Equal(0, lcode);
        Assert.Matches($@"(?m)^LISTEN\s+0\s+{ServiceHost.Backlog}\s+0\.0\.0\.0:7\s+0\.0\.0\.0:\*", listening);

        var (fcode, filtered, _) = Cli("ss", "-tn", "--name", name, "state", "established", "dport", "=", $":{port}");
        Assert.Equal(0, fcode);
        Assert.Single(filtered.Split('\n'), l => l.StartsWith("ESTAB", StringComparison.Ordinal));

        // Stopped, the stack takes its control socket with it.
        serve.Signal("TERM");
        Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(15)), "stack serve did not stop on SIGTERM");
        Assert.False(File.Exists(ControlPaths.For(name)));
    }

    [SkippableFact]
    public void Nstat_shows_retransmissions_after_a_lossy_64_MiB_transfer()
    {
        TapRequirement.Check("ping", "python3");
        using var ns = TestNamespace.Create(taps: 1);
        string name = $"inspect-loss-{Environment.ProcessId}";
        var history = Path.ChangeExtension(ControlPaths.For(name), ".nstat");
        File.Delete(history);
        using var serve = ns.StartBackground(
            $"exec dotnet {Stack} serve --tap tap0 --ip 192.0.2.2/24 --mac 02:00:53:54:00:32 --name {name} --impair loss=1% --log-level warning");
        ns.WaitUntilAnswering("192.0.2.2", serve);
        WaitUntilControlAnswers(name);
        try
        {
            var (first, _, _) = Cli("nstat", "--name", name); // sets the history
            Assert.Equal(0, first);

            // 64 MiB from the stack's chargen to the kernel, through 1% loss each way.
            var (code, got, err) = ns.Exec(
                "python3 -c \"import socket\ns=socket.create_connection(('192.0.2.2',19))\nn=0\n" +
                "while n<64<<20:\n b=s.recv(1<<16)\n if not b: break\n n+=len(b)\nprint(n)\"", TimeSpan.FromSeconds(120));
            Assert.True(code == 0, err);
            Assert.True(long.Parse(got.Trim(), System.Globalization.CultureInfo.InvariantCulture) >= 64 << 20);

            var (ncode, text, nerr) = Cli("nstat", "--name", name);
            output.WriteLine(text + nerr);
            Assert.Equal(0, ncode);
            Assert.StartsWith($"#stack {name}", text, StringComparison.Ordinal);
            var retrans = Regex.Match(text, @"(?m)^TcpRetransSegs\s+(\d+)\s");
            Assert.True(retrans.Success, "TcpRetransSegs missing");
            Assert.True(long.Parse(retrans.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
            var segs = Regex.Match(text, @"(?m)^TcpOutSegs\s+(\d+)\s");
            Assert.True(segs.Success && long.Parse(segs.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > (64 << 20) / 1460,
                "TcpOutSegs should count the transfer's segments");

            // Right after, nothing moved: increments since the last call are gone, -z shows them as zeros.
            var (_, again, _) = Cli("nstat", "--name", name, "TcpRetransSegs");
            Assert.DoesNotMatch(@"(?m)^TcpRetransSegs", again);
            var (_, zeros, _) = Cli("nstat", "--name", name, "-z", "TcpRetransSegs");
            Assert.Matches(@"(?m)^TcpRetransSegs\s+0\s", zeros);
        }
        finally
        {
            serve.Signal("TERM");
            serve.WaitForExit(TimeSpan.FromSeconds(15));
            File.Delete(history);
        }
    }
}

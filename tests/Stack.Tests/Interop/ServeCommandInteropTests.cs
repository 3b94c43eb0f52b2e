using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>`stack serve` as users run it: a process in the namespace, stopped by a signal, leaving a whole pcap and its TCP statistics.</summary>
public sealed class ServeCommandInteropTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Serve_answers_pings_and_stops_cleanly_on_SIGTERM_with_the_trace_flushed_and_the_TCP_statistics_printed()
    {
        TapRequirement.Check("ping", "tshark");
        using var ns = TestNamespace.Create(taps: 1);
        var pcap = Path.Combine(Path.GetTempPath(), $"stack-serve-{Environment.ProcessId}.pcap");
        var stack = Path.Combine(AppContext.BaseDirectory, "stack.dll");
        try
        {
            using var serve = ns.StartBackground(
                $"exec dotnet {stack} serve --tap tap0 --ip 192.0.2.2/24 --ip 2001:db8::2/64 --mac 02:00:53:54:00:22 --pcap {pcap}");
            ns.WaitUntilAnswering("192.0.2.2", serve);
            var (code, text, _) = ns.Exec("ping -6 -c 2 -i 0.2 -W 2 2001:db8::2", TimeSpan.FromSeconds(10));
            Assert.True(code == 0, text);

            serve.Signal("TERM");
            Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(15)), "stack serve did not stop on SIGTERM");
            output.WriteLine(serve.StdErr);
            Assert.Equal(0, serve.ExitCode);
            Assert.Contains("shutting down", serve.StdErr, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^tcp\.RetransmissionTimeouts=0$", serve.StdErr); // the TCP statistics, whatever the log level

            var (tsharkCode, replies) = Tools.Run($"tshark -r {pcap} -Y \"icmp.type == 0 || icmpv6.type == 129\" -T fields -e frame.number");
            Assert.Equal(0, tsharkCode);
            Assert.True(replies.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 3, "the pcap should hold the echo replies");
        }
        finally
        {
            File.Delete(pcap);
        }
    }
}

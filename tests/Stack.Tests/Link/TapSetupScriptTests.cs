using Stack.Tests.Support;

namespace Stack.Tests.Link;

public sealed class TapSetupScriptTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static (int Code, string Out, string Err) TapSetup(params string[] args) =>
        ProcessRunner.Run(TestNamespace.TapSetup, args, Timeout);

    [Fact]
    public void Bad_arguments_exit_2_with_one_line_on_stderr()
    {
        string[][] cases = [[], ["sideways"], ["up", "--taps", "x", "--netns", "stk-unused"], ["up", "--frobnicate"], ["down", "--netns", "a/b"]];
        foreach (var args in cases)
        {
            var (code, _, err) = TapSetup(args);
            Assert.True(code == 2, $"tap-setup {string.Join(' ', args)} exited {code}: {err}");
            Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    [SkippableFact]
    public void Up_twice_and_down_twice_are_fine_and_down_removes_the_namespace()
    {
        TapRequirement.Check();
        var ns = $"stk-{Environment.ProcessId}-script";
        try
        {
            Assert.Equal(0, TapSetup("up", "--netns", ns, "--taps", "2").Code);
            Assert.Equal(0, TapSetup("up", "--netns", ns, "--taps", "2").Code);
            var (_, links, _) = ProcessRunner.Run("ip", ["-n", ns, "-br", "link"], Timeout);
            Assert.Contains("tap1", links);
            Assert.Contains("02:00:00:00:00:01", links); // br0's fixed MAC
            var (_, addrs, _) = ProcessRunner.Run("ip", ["-n", ns, "addr", "show", "br0"], Timeout);
            Assert.Contains("192.0.2.1/24", addrs);
            Assert.Contains("2001:db8::1/64", addrs);
        }
        finally
        {
            Assert.Equal(0, TapSetup("down", "--netns", ns).Code);
        }
        Assert.Equal(0, TapSetup("down", "--netns", ns).Code);
        Assert.False(File.Exists($"/var/run/netns/{ns}"));
    }
}

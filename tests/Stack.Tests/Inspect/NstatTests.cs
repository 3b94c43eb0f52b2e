using Stack.Apps.Inspect;
using Stack.Sockets.Control;

namespace Stack.Tests.Inspect;

/// <summary>`stack nstat`'s arithmetic: increments since the last call, levels for gauges, -z, -a, patterns, history.</summary>
public sealed class NstatTests
{
    private static readonly DateTimeOffset Then = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static readonly CounterEntry[] Now =
    [
        new("IpInReceives", 150), new("TcpRetransSegs", 4), new("TcpCurrEstab", 2, Gauge: true), new("UdpNoPorts", 0),
    ];

    private static readonly NstatHistory Before = new(Then, new Dictionary<string, long> { ["IpInReceives"] = 100, ["TcpRetransSegs"] = 4 });

    [Fact]
    public void Increments_since_the_last_call_with_a_rate_and_gauges_as_levels()
    {
        var rows = NstatCommand.Rows(Now, Before, new NstatOptions(), Then.AddSeconds(10));
        Assert.Equal([new("IpInReceives", 50, 5.0), new("TcpCurrEstab", 2, 0)], rows);
    }

    [Fact]
    public void The_first_call_shows_totals()
    {
        var rows = NstatCommand.Rows(Now, null, new NstatOptions(), Then);
        Assert.Equal(["IpInReceives=150", "TcpRetransSegs=4", "TcpCurrEstab=2"], rows.Select(r => $"{r.Name}={r.Value}"));
    }

    [Fact]
    public void Zeros_absolute_and_patterns()
    {
        Assert.Equal(4, NstatCommand.Rows(Now, Before, new NstatOptions { Zeros = true }, Then).Count);
        Assert.Equal(150, NstatCommand.Rows(Now, Before, new NstatOptions { Absolute = true }, Then)[0].Value);
        var tcp = NstatCommand.Rows(Now, null, new NstatOptions { Patterns = ["Tcp*"] }, Then);
        Assert.Equal(["TcpRetransSegs", "TcpCurrEstab"], tcp.Select(r => r.Name));
        Assert.True(NstatCommand.Glob("Tcp?xt*Recovery", "TcpExtTCPSACKRecovery"));
        Assert.False(NstatCommand.Glob("Tcp", "TcpExt"));
    }

    [Fact]
    public void The_history_round_trips_and_a_broken_one_is_ignored()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nstat-{Guid.NewGuid():N}.json");
        try
        {
            NstatHistory.Save(path, Now, Then);
            var back = NstatHistory.Load(path)!;
            Assert.Equal(Then, back.Taken);
            Assert.Equal(150, back.Values["IpInReceives"]);
            Assert.False(back.Values.ContainsKey("TcpCurrEstab")); // gauges are not history
            File.WriteAllText(path, "{\"taken\": 3");
            Assert.Null(NstatHistory.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_long_name_does_not_run_into_its_value()
    {
        var rows = NstatCommand.Rows([new("StackAutoconfRouterSolicitationsSent", 2)], null, new NstatOptions(), Then);
        var output = new StringWriter();
        NstatCommand.WriteText(rows, "s", output);
        Assert.Contains("StackAutoconfRouterSolicitationsSent 2", output.ToString(), StringComparison.Ordinal);
    }
}

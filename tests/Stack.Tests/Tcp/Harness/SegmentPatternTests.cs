using Stack.Tcp;
using Xunit.Sdk;

namespace Stack.Tests.Tcp.Harness;

public sealed class SegmentPatternTests
{
    private static IReadOnlyList<string> Compare(string pattern, string actual) =>
        SegmentPattern.Parse(pattern).Mismatches(SegmentPattern.Parse(actual));

    [Theory]
    [InlineData("P. 1:11(10) ack 1 win 65535", "P. 1:11(10) ack 1 win 65535")]
    [InlineData("P. 1:11(10) ack * win *", "P. 1:11(10) ack 7 win 502")]
    [InlineData("F. 1:1(0) ack 1 **", "F. 1:1(0) ack 1 win 502 <nop,nop,TS val 9 ecr 3>")]
    [InlineData("R. ** ack 1 win 0", "R. 7:7(0) ack 1 win 0")]
    [InlineData("S. 0:0(0) ack 1 win * <mss 1460,nop,nop,TS val * ecr 100,nop,wscale 7>",
        "S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,TS val 123 ecr 100,nop,wscale 7>")]
    [InlineData("S. 0:0(0) ack 1 win * <mss 1460,**>", "S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,nop,wscale 7>")]
    public void Matches_what_the_pattern_allows(string pattern, string actual) => Assert.Empty(Compare(pattern, actual));

    [Theory]
    [InlineData("P. 1:11(10) ack 11 win 65535", "P. 1:11(10) ack 1 win 65535", "ack: expected 11, got 1")]
    [InlineData("P. 1:11(10) ack 1 win 65535", ". 1:11(10) ack 1 win 65535", "flags: expected P., got .")]
    [InlineData("P. 1:11(10) ack 1 win 65535", "P. 1:11(10) ack 1 win 65535 <nop,nop,TS val 1 ecr 2>",
        "options: expected none, got <nop,nop,TS val 1 ecr 2>")]
    [InlineData("S. 0:0(0) ack 1 win * <mss 1460,nop,wscale 8>", "S. 0:0(0) ack 1 win 100 <mss 1460,nop,wscale 7>",
        "options: expected <mss 1460,nop,wscale 8>, got <mss 1460,nop,wscale 7> (option 3: expected wscale 8, got wscale 7)")]
    [InlineData("R 5:5(0) win 0", "R. 5:5(0) ack 1 win 0", "ack: expected none, got 1")]
    public void Names_each_field_that_differs(string pattern, string actual, string difference) =>
        Assert.Contains(difference, Compare(pattern, actual));

    [Fact]
    public void Lists_every_differing_field_and_only_those()
    {
        Assert.Equal(["flags: expected F., got .", "seq: expected 2:2(0), got 1:1(0)"],
            Compare("F. 2:2(0) ack 1 **", ". 1:1(0) ack 1 win 5"));
    }

    [Fact]
    public void The_harness_reports_a_mismatch_field_by_field()
    {
        var h = new TcpHarness();
        var c = h.InState(TcpState.Established);
        c.Send(TcpHarness.Pattern(5), h.Now);
        var e = Assert.Throws<TrueException>(() => h.Expect("P. 1:6(5) ack 2 **"));
        Assert.Contains("ack: expected 2, got 1", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("flags:", e.Message, StringComparison.Ordinal);
    }
}

using Stack.Apps.Plots;
using Stack.Scripting;
using Stack.Tests.Scripts;

namespace Stack.Tests.Plots;

/// <summary>
/// <c>stack script --diagram</c>: the ladder diagram of a corpus script has one arrow per segment of the run's
/// trace, each system call, and the stack's state changes in order; a failed run says where it failed.
/// </summary>
public sealed class ScriptDiagramTests
{
    private static (ScriptResult Result, SvgMarks Svg) Draw(Script script)
    {
        var result = ScriptRunner.Run(script);
        var text = new StringWriter();
        ScriptDiagram.Write(result, text);
        return (result, new SvgMarks(text.ToString()));
    }

    [Fact]
    public void An_active_close_has_an_arrow_per_segment_each_call_and_every_state_of_the_connection()
    {
        var script = ScriptParser.ParseFile(ScriptCorpus.PathOf("active-close.pkt"));

        var (result, svg) = Draw(script);

        Assert.True(result.Passed, result.ToString());
        Assert.True(svg.IsSvg);
        var packets = script.Events.OfType<PacketEvent>().ToList();
        var segments = result.Trace.OfType<TracedSegment>().ToList();
        Assert.Equal(segments.Count, svg.WithClass("arrow").Count);
        // Every packet line of the script is one segment on the wire here (no extra ACKs in this script).
        Assert.Equal(packets.Count(p => p.Direction == PacketDirection.In), svg.WithClass("arrow", "to-stack").Count);
        Assert.Equal(packets.Count(p => p.Direction == PacketDirection.Out), svg.WithClass("arrow", "from-stack").Count);
        Assert.Equal(["S", ".", ".", "F.", "."], svg.WithClass("arrow", "to-stack").Select(a => a.Attribute("data-flags")!.Value));
        Assert.Equal(["S.", "F.", ".", "R"], svg.WithClass("arrow", "from-stack").Select(a => a.Attribute("data-flags")!.Value));
        Assert.Equal(script.Events.OfType<SyscallEvent>().Count(), svg.WithClass("syscall").Count);
        Assert.Equal(["LISTEN", "SYN-RECV", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"],
            svg.WithClass("state").Select(s => s.Attribute("data-state")!.Value));
        Assert.Empty(svg.WithClass("failure"));
        // TIME-WAIT's 59.9 s, and the second before the last segment: told, not drawn to scale.
        Assert.Equal(["⋯ 59.900 s later ⋯", "⋯ 1.000 s later ⋯"], svg.WithClass("gap").Select(g => g.Value));
    }

    [Fact]
    public void The_trace_holds_segments_calls_and_state_changes_in_time_order()
    {
        var (result, svg) = Draw(ScriptParser.ParseFile(ScriptCorpus.PathOf("fast-retransmit-three-dupacks.pkt")));

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(result.Trace.OrderBy(e => e.Time).ToList(), result.Trace); // OrderBy is stable: equal means in order
        var resent = result.Trace.OfType<TracedSegment>().Where(s => s.Direction == TraceDirection.FromStack && s.Segment.PayloadLength > 0)
            .GroupBy(s => s.Segment.Seq).Where(g => g.Count() > 1).Select(g => g.Key).Order().ToList();
        Assert.Equal([1001u, 6001u], resent);
        Assert.Equal(["1001", "6001"], svg.WithClass("arrow", "retrans").Select(a => a.Attribute("data-seq")!.Value));
        // A call that returns at once comes before the segments it made the stack send.
        int write = result.Trace.ToList().FindIndex(e => e is TracedSyscall { Call: var c } && c.StartsWith("write(", StringComparison.Ordinal));
        Assert.IsType<TracedSegment>(result.Trace[write + 1]);
        Assert.Equal("10000", ((TracedSyscall)result.Trace[write]).Result);
    }

    [Fact]
    public void A_failed_run_is_drawn_up_to_the_failure_and_says_where()
    {
        var script = ScriptParser.Parse("""
            0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0    bind(3, ..., ...) = 0
            +0    listen(3, 1) = 0
            +0    < S 0:0(0) win 65535 <mss 1460>
            +0    > S. 0:0(0) ack 1 <mss 1000>
            """, "wrong-mss.pkt");

        var (result, svg) = Draw(script);

        Assert.False(result.Passed);
        Assert.Equal(2, svg.WithClass("arrow").Count);
        var failure = Assert.Single(svg.WithClass("failure"));
        Assert.Contains("wrong-mss.pkt:5", failure.Value);
    }
}

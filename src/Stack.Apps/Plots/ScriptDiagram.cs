using Stack.Scripting;
using Stack.Tcp.Wire;

namespace Stack.Apps.Plots;

/// <summary>
/// <c>stack script FILE.pkt --diagram out.svg</c>: the run as a ladder diagram, from <see cref="ScriptResult.Trace"/>.
/// Two columns, the script (the peer) on the left and the stack on the right; top to bottom in time order, each
/// segment an arrow in its direction labelled in packetdrill notation (flags, relative seq:end(length), ack,
/// window, options), each system call and each state change of the stack's connections on the stack's side, and
/// the script time of every row on the left. Marks carry classes: <c>arrow to-stack</c>/<c>arrow from-stack</c>
/// (one per segment; <c>retrans</c> added for data sent again), <c>syscall</c>, <c>state</c> (with
/// <c>data-state</c>) and <c>failure</c>.
/// </summary>
public static class ScriptDiagram
{
    private const double Width = 1200, TimeColumn = 70, PeerX = 280, StackX = 740, Top = 96, Slope = 12;

    /// <summary>The width of a character of the 11 px monospace labels, near enough for layout.</summary>
    private const double CharWidth = 6.65;

    private const string Css = """
        .background { fill: #fff; }
        .title { font-size: 17px; font-weight: bold; fill: #111; }
        .subtitle { font-size: 12px; fill: #444; }
        .column { font-size: 14px; font-weight: bold; fill: #222; }
        .lifeline { stroke: #888; stroke-width: 2; }
        .time { font-size: 11px; fill: #555; font-family: monospace; }
        .time.same { fill: #bbb; }
        .rule { stroke: #f0f0f0; stroke-width: 1; }
        .arrow { stroke-width: 1.4; fill: none; }
        .arrow.to-stack { stroke: #1f77b4; }
        .arrow.from-stack { stroke: #2ca02c; }
        .arrow.rst { stroke: #d62728; }
        .arrow.retrans { stroke: #d62728; stroke-dasharray: 6 3; }
        .retrans-label { fill: #d62728; }
        .label { font-size: 11px; font-family: monospace; fill: #222; }
        .syscall { font-size: 11px; font-family: monospace; fill: #6a3d9a; }
        .syscall-box { fill: #f3eefa; stroke: #6a3d9a; stroke-width: 0.8; }
        .state-box { fill: #fff4d6; stroke: #b8860b; stroke-width: 1; }
        .state { font-size: 11px; font-weight: bold; fill: #8a6100; }
        .gap { font-size: 11px; fill: #888; font-style: italic; }
        .failure { font-size: 12px; fill: #d62728; font-weight: bold; }
        .head-to-stack { fill: #1f77b4; }
        .head-from-stack { fill: #2ca02c; }
        """;

    /// <summary>Writes the diagram of <paramref name="result"/>'s run to <paramref name="output"/>.</summary>
    public static void Write(ScriptResult result, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        var rows = Layout(result.Trace, out double bottom);
        bool manyPorts = result.Trace.OfType<TracedSegment>()
            .Select(s => s.Direction == TraceDirection.FromStack ? (s.SourcePort, s.DestinationPort) : (s.DestinationPort, s.SourcePort))
            .Distinct().Count() > 1;
        double height = bottom + (result.Failure is null ? 30 : 60);
        bool v6 = result.IpVersion == ScriptIpVersion.Ipv6;
        string file = Path.GetFileName(result.File);
        using var svg = new Svg(output, Width, height, $"Ladder diagram of {file}", Css);
        svg.Start("defs");
        Arrowhead(svg, "head-to-stack");
        Arrowhead(svg, "head-from-stack");
        svg.End();
        svg.Text(20, 28, $"packetdrill run: {file} ({(v6 ? "IPv6" : "IPv4")})", "title");
        svg.Text(20, 48, result.Passed
            ? $"passed; {ScriptRunner.Seconds(result.VirtualElapsed.Ticks / TimeSpan.TicksPerMicrosecond)} s of virtual time; sequence numbers relative to each sender's ISN"
            : $"failed at line {result.Failure!.Line}; sequence numbers relative to each sender's ISN", "subtitle");
        svg.Text(PeerX, 80, $"script (peer) {(v6 ? ScriptRunner.ScriptV6.ToString() : ScriptRunner.ScriptV4.ToString())}", "column", "middle");
        svg.Text(StackX, 80, $"stack {(v6 ? ScriptRunner.StackV6.ToString() : ScriptRunner.StackV4.ToString())}", "column", "middle");
        svg.Text(TimeColumn, 80, "time (s)", "column", "end");
        svg.Line(PeerX, Top - 8, PeerX, bottom, "lifeline");
        svg.Line(StackX, Top - 8, StackX, bottom, "lifeline");

        long? previous = null;
        var highest = new Dictionary<TraceDirection, long>();
        foreach (var (e, y) in rows)
        {
            if (IsGap(previous, e.Time))
                svg.Text((PeerX + StackX) / 2, y - 14, $"⋯ {ScriptRunner.Seconds(e.Time - previous!.Value)} s later ⋯", "gap", "middle");
            svg.Line(TimeColumn + 6, y, PeerX - 4, y, "rule");
            svg.Text(TimeColumn, y + 4, ScriptRunner.Seconds(e.Time), previous == e.Time ? "time same" : "time", "end");
            previous = e.Time;
            switch (e)
            {
                case TracedSegment s: Arrow(svg, s, y, manyPorts, IsRetransmission(s, highest)); break;
                case TracedSyscall c: Syscall(svg, c, y); break;
                case TracedStateChange st: State(svg, st, y); break;
            }
        }
        if (result.Failure is { } failure)
            svg.Text(20, bottom + 30, $"FAILED {Path.GetFileName(failure.File)}:{failure.Line}: {failure.Message}", "failure");
    }

    /// <summary>Each event's row (its top), and where the last ends.</summary>
    private static List<(ScriptTraceEvent Event, double Y)> Layout(IReadOnlyList<ScriptTraceEvent> trace, out double bottom)
    {
        var rows = new List<(ScriptTraceEvent, double)>();
        double y = Top + 10;
        long? previous = null;
        foreach (var e in trace)
        {
            if (IsGap(previous, e.Time)) y += GapHeight;
            previous = e.Time;
            rows.Add((e, y));
            y += e is TracedSegment ? 24 + Slope : 24;
        }
        bottom = y;
        return rows;
    }

    /// <summary>A second or more with nothing happening: the diagram says how long rather than draw it to scale.</summary>
    private static bool IsGap(long? previous, long time) => previous is { } p && time - p >= 1_000_000;

    private const double GapHeight = 20;

    private static void Arrowhead(Svg svg, string id)
    {
        svg.Start("marker").Attribute("id", id).Attribute("viewBox", "0 0 10 10").Attribute("refX", 10).Attribute("refY", 5)
            .Attribute("markerWidth", 8).Attribute("markerHeight", 8).Attribute("orient", "auto-start-reverse");
        svg.Start("path", id).Attribute("d", "M0 0L10 5L0 10z").End();
        svg.End();
    }

    /// <summary>Data that starts below the highest sequence number its sender had sent (as the time-sequence graph counts).</summary>
    private static bool IsRetransmission(TracedSegment s, Dictionary<TraceDirection, long> highest)
    {
        var seg = s.Segment;
        long start = seg.Seq + ((seg.Flags & TcpFlags.Syn) != 0 ? 1 : 0);
        long end = start + seg.PayloadLength + ((seg.Flags & TcpFlags.Fin) != 0 ? 1 : 0);
        bool seen = highest.TryGetValue(s.Direction, out long high);
        if ((seg.Flags & TcpFlags.Syn) != 0) highest[s.Direction] = end; // a new ISN: relative numbers start again
        else if (!seen || end > high) highest[s.Direction] = Math.Max(end, seen ? high : 0);
        return seen && end > start && start < high && (seg.Flags & TcpFlags.Syn) == 0;
    }

    private static void Arrow(Svg svg, TracedSegment s, double y, bool ports, bool retransmission)
    {
        bool toStack = s.Direction == TraceDirection.ToStack;
        double from = toStack ? PeerX : StackX, to = toStack ? StackX : PeerX;
        string kind = toStack ? "to-stack" : "from-stack";
        var seg = s.Segment;
        string cls = $"arrow {kind}{((seg.Flags & TcpFlags.Rst) != 0 ? " rst" : "")}{(retransmission ? " retrans" : "")}";
        svg.Start("line", cls).Attribute("x1", from).Attribute("y1", y + 10).Attribute("x2", to).Attribute("y2", y + 10 + Slope)
            .Attribute("marker-end", $"url(#head-{kind})").Attribute("data-flags", PacketEvent.FormatFlags(seg.Flags))
            .Attribute("data-seq", seg.Seq).Attribute("data-len", seg.PayloadLength).End();
        string label = (toStack ? "< " : "> ") + seg;
        if (ports) label = $":{s.SourcePort} > :{s.DestinationPort} " + label;
        if (retransmission) label += "  (retransmission)";
        svg.Text((PeerX + StackX) / 2, y + 5, label, retransmission ? "label retrans-label" : "label", "middle");
    }

    private static void Syscall(Svg svg, TracedSyscall c, double y)
    {
        string result = $" = {c.Result}";
        if (c.Started < c.Time) result += $"  (blocked from {ScriptRunner.Seconds(c.Started)} s)";
        double x = StackX + 14;
        // What does not fit before the right edge is cut from the call's arguments; the whole call is the tooltip.
        int room = (int)((Width - x - 24) / CharWidth);
        string text = c.Call + result;
        if (text.Length > room) text = c.Call[..Math.Max(8, room - result.Length - 2)] + "…)" + result;
        svg.Rect(x - 4, y - 6, text.Length * CharWidth + 8, 18, "syscall-box");
        svg.Start("text", "syscall").Attribute("x", x).Attribute("y", y + 7).Attribute("data-line", c.Line)
            .Tooltip($"line {c.Line}: {c.Call}{result}").Content(text).End();
    }

    private static void State(Svg svg, TracedStateChange st, double y)
    {
        string name = StateNames.Of(st.To);
        double width = name.Length * 7.4 + 12;
        svg.Rect(StackX - width / 2, y - 6, width, 18, "state-box");
        svg.Start("text", "state").Attribute("x", StackX).Attribute("y", y + 7).Attribute("text-anchor", "middle")
            .Attribute("data-state", name).Attribute("data-from", StateNames.Of(st.From))
            .Tooltip($"{StateNames.Of(st.From)} -> {name} ({st.Cause}), port {st.LocalPort}").Content(name).End();
        svg.Text(StackX + width / 2 + 8, y + 7, $"from {StateNames.Of(st.From)}: {st.Cause}", "subtitle");
    }
}

using System.Globalization;
using System.Text;

namespace Stack.Apps.Plots;

/// <summary>
/// Draws a <see cref="TimeSequence"/> as SVG in tcptrace's manner: time across, relative sequence number up. Each
/// mark has a class a reader can count: <c>seg</c> (one per data segment; <c>seg retrans</c> for a
/// retransmission, with an "R"), <c>ctl syn</c>/<c>ctl fin</c>/<c>ctl rst</c>, <c>ack-line</c>, <c>win-line</c>,
/// <c>sack</c>, <c>dupack</c> and <c>state</c> (one per state change, with <c>data-state</c>); the legend's
/// swatches have classes of their own (<c>key-*</c>), so counting marks by class never counts the legend.
/// </summary>
internal static class TimeSequenceSvg
{
    private const double Width = 1200, Height = 820;
    private const double Left = 100, Right = Width - 30, Top = 96, Bottom = Height - 170;

    private const string Css = """
        .background { fill: #fff; }
        .frame { fill: none; stroke: #444; stroke-width: 1; }
        .grid { stroke: #e4e4e4; stroke-width: 1; }
        .tick { font-size: 11px; fill: #333; }
        .axis-title { font-size: 13px; fill: #222; }
        .title { font-size: 17px; font-weight: bold; fill: #111; }
        .subtitle { font-size: 12px; fill: #444; }
        .legend { font-size: 12px; fill: #222; }
        .seg, .key-seg { stroke: #1f3a93; stroke-width: 1.2; fill: none; }
        .seg.retrans, .key-retrans { stroke: #d62728; stroke-width: 1.6; }
        .retrans-label { font-size: 9px; fill: #d62728; font-weight: bold; }
        .ctl, .key-ctl { stroke: #7b3294; stroke-width: 1.6; fill: none; }
        .ctl-label { font-size: 9px; fill: #7b3294; }
        .ack-line, .key-ack { stroke: #2ca02c; stroke-width: 1.3; fill: none; }
        .win-line, .key-win { stroke: #c9a100; stroke-width: 1.3; fill: none; }
        .sack, .key-sack { stroke: #9467bd; stroke-width: 2.5; stroke-opacity: 0.7; }
        .dupack, .key-dupack { fill: #ff7f0e; stroke: #a65100; stroke-width: 0.5; }
        .dupack-label { font-size: 9px; fill: #a65100; }
        .state-line, .key-state { stroke: #777; stroke-width: 0.8; stroke-dasharray: 3 3; }
        .state { font-size: 11px; fill: #333; }
        .state-tick { stroke: #333; stroke-width: 1; }
        .note { font-size: 11px; fill: #666; }
        """;

    public static void Write(TimeSequence g, string source, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(g);
        long t0 = g.StartMicroseconds;
        double Seconds(long micros) => (micros - t0) / 1e6;
        var x = Axis.Over(0, Seconds(g.EndMicroseconds), Left, Right, 0.02);
        var values = g.Segments.SelectMany(s => new[] { s.Seq, s.Seq + s.Length })
            .Concat(g.AckLine.Select(a => a.Value)).Concat(g.WindowLine.Select(w => w.Value))
            .Concat(g.Sacks.SelectMany(s => new[] { s.Left, s.Right })).DefaultIfEmpty(0).ToList();
        var y = Axis.Over(Math.Min(0, values.Min()), values.Max(), Bottom, Top);

        string connection = $"{g.Sender} → {g.Receiver}";
        using var svg = new Svg(output, Width, Height, $"Time-sequence graph of {connection}", Css);
        svg.Text(Left, 28, $"TCP time-sequence graph: {connection}", "title");
        string scale = g.WindowScale is { } ws ? $"receiver's window scale {ws}" : "window scale unknown (no handshake in the capture): windows drawn unscaled";
        svg.Text(Left, 48, $"{g.DataSegments} data segments ({g.PayloadBytes.ToString("#,0", CultureInfo.InvariantCulture)} bytes), " +
            $"{g.Retransmissions} retransmitted, {g.DuplicateAcks.Count} duplicate ACKs; {scale}; from {source}", "subtitle");
        Legend(svg);
        Grid(svg, x, y);

        svg.Start("g", "sacks");
        foreach (var s in g.Sacks)
        {
            double px = x[Seconds(s.Microseconds)] + 2;
            svg.Start("line", "sack").Attribute("x1", px).Attribute("y1", y[s.Left]).Attribute("x2", px).Attribute("y2", y[s.Right])
                .Attribute("data-left", s.Left).Attribute("data-right", s.Right).End();
        }
        svg.End();
        svg.Path(StepPath(g.WindowLine, x, y, Seconds, g.EndMicroseconds), "win-line");
        svg.Path(StepPath(g.AckLine, x, y, Seconds, g.EndMicroseconds), "ack-line");
        Segments(svg, g, x, y, Seconds);
        svg.Start("g", "dupacks");
        foreach (var d in g.DuplicateAcks)
        {
            double px = x[Seconds(d.Microseconds)], py = y[d.Ack];
            svg.Start("circle", "dupack").Attribute("cx", px).Attribute("cy", py).Attribute("r", 2.5).Attribute("data-ack", d.Ack)
                .Attribute("data-count", d.Count).Tooltip($"duplicate ACK #{d.Count} of {d.Ack} at {Seconds(d.Microseconds):0.000000} s").End();
            if (d.Count == 3) svg.Text(px + 3, py + 10, "3 dup", "dupack-label");
        }
        svg.End();
        States(svg, g, x, Seconds);
    }

    private static void Segments(Svg svg, TimeSequence g, Axis x, Axis y, Func<long, double> seconds)
    {
        svg.Start("g", "segments");
        foreach (var s in g.Segments)
        {
            double t = seconds(s.Microseconds);
            double px = x[t], bottom = y[s.Seq], top = y[s.Seq + Math.Max(s.Length, 1)];
            if (bottom - top < 2) top = bottom - 2; // a segment too short to see still gets a visible bar
            string d = $"M{Svg.N(px)} {Svg.N(bottom)}V{Svg.N(top)}M{Svg.N(px - 3)} {Svg.N(top)}h6M{Svg.N(px - 3)} {Svg.N(bottom)}h6";
            string time = t.ToString("0.000000", CultureInfo.InvariantCulture);
            if (s.Kind == SequenceMarkKind.Data)
            {
                svg.Start("path", s.Retransmission ? "seg retrans" : "seg").Attribute("d", d).Attribute("data-seq", s.Seq)
                    .Attribute("data-len", s.Length).Attribute("data-t", time)
                    .Tooltip($"{time} s: {s.Seq}:{s.Seq + s.Length} ({s.Length}){(s.Retransmission ? ", retransmission" : "")}").End();
                if (s.Retransmission) svg.Text(px, top - 2, "R", "retrans-label", "middle");
                continue;
            }
            string name = s.Kind.ToString().ToUpperInvariant();
            svg.Start("path", $"ctl {name.ToLowerInvariant()}{(s.Retransmission ? " retrans" : "")}").Attribute("d", d)
                .Attribute("data-seq", s.Seq).Attribute("data-t", time).Tooltip($"{time} s: {name} at {s.Seq}").End();
            svg.Text(px + 4, top - 2, s.Retransmission ? name + " R" : name, "ctl-label");
        }
        svg.End();
    }

    /// <summary>A step line: each value holds until the next, the last until the end of the capture.</summary>
    private static string StepPath(List<Step> steps, Axis x, Axis y, Func<long, double> seconds, long end)
    {
        if (steps.Count == 0) return "M0 0";
        var d = new StringBuilder();
        d.Append('M').Append(Svg.N(x[seconds(steps[0].Microseconds)])).Append(' ').Append(Svg.N(y[steps[0].Value]));
        for (int i = 1; i < steps.Count; i++)
            d.Append('H').Append(Svg.N(x[seconds(steps[i].Microseconds)])).Append('V').Append(Svg.N(y[steps[i].Value]));
        d.Append('H').Append(Svg.N(x[seconds(end)]));
        return d.ToString();
    }

    private static void Grid(Svg svg, Axis x, Axis y)
    {
        svg.Start("g", "axes");
        foreach (double t in x.Ticks(10))
        {
            svg.Line(x[t], Top, x[t], Bottom, "grid");
            svg.Text(x[t], Bottom + 16, x.Label(t, 10), "tick", "middle");
        }
        foreach (double v in y.Ticks(10))
        {
            svg.Line(Left, y[v], Right, y[v], "grid");
            svg.Text(Left - 6, y[v] + 4, y.Label(v, 10), "tick", "end");
        }
        svg.Rect(Left, Top, Right - Left, Bottom - Top, "frame");
        svg.Text((Left + Right) / 2, Bottom + 34, "time (s)", "axis-title", "middle");
        svg.Start("text", "axis-title").Attribute("x", 18).Attribute("y", (Top + Bottom) / 2).Attribute("text-anchor", "middle")
            .Attribute("transform", $"rotate(-90 18 {Svg.N((Top + Bottom) / 2)})").Content("relative sequence number (bytes)").End();
        svg.End();
    }

    private static void Legend(Svg svg)
    {
        svg.Start("g", "legend");
        double at = Left;
        const double row = 72;
        void Item(string label, Action<double> swatch)
        {
            swatch(at);
            svg.Text(at + 16, row + 4, label, "legend");
            at += 30 + label.Length * 6.6;
        }
        Item("segment sent", p => svg.Path($"M{p + 6} {row + 6}V{row - 6}M{p + 3} {row - 6}h6M{p + 3} {row + 6}h6", "key-seg"));
        Item("retransmission (R)", p => svg.Path($"M{p + 6} {row + 6}V{row - 6}M{p + 3} {row - 6}h6M{p + 3} {row + 6}h6", "key-retrans"));
        Item("SYN / FIN / RST", p => svg.Path($"M{p + 6} {row + 6}V{row - 6}", "key-ctl"));
        Item("ACK line", p => svg.Line(p, row, p + 12, row, "key-ack"));
        Item("advertised window", p => svg.Line(p, row, p + 12, row, "key-win"));
        Item("SACK block", p => svg.Line(p + 6, row + 6, p + 6, row - 6, "key-sack"));
        Item("duplicate ACK", p => svg.Start("circle", "key-dupack").Attribute("cx", p + 6).Attribute("cy", row).Attribute("r", 3).End());
        Item("sender's state change", p => svg.Line(p + 6, row + 7, p + 6, row - 7, "key-state"));
        svg.End();
    }

    /// <summary>State changes: a dashed line across the plot and a label under the time axis, in the first row where it fits.</summary>
    private static void States(Svg svg, TimeSequence g, Axis x, Func<long, double> seconds)
    {
        const int rows = 4;
        const double firstRow = Bottom + 62, rowHeight = 16;
        var rowEnds = new double[rows];
        Array.Fill(rowEnds, double.MinValue);
        svg.Start("g", "states");
        svg.Text(Left - 6, firstRow - 14, "sender's state:", "note", "end");
        foreach (var s in g.States)
        {
            double px = x[seconds(s.Microseconds)];
            double width = s.State.Length * 6.8 + 8;
            int r = Array.FindIndex(rowEnds, end => end < px);
            if (r < 0) r = Array.IndexOf(rowEnds, rowEnds.Min());
            rowEnds[r] = px + width > Width - 4 ? Width : px + width;
            double ty = firstRow + r * rowHeight;
            svg.Line(px, Top, px, Bottom, "state-line");
            svg.Line(px, Bottom + 40, px, ty - 11, "state-tick");
            // A label that would run off the right edge ends at its line instead.
            bool flip = px + width > Width - 4;
            svg.Start("text", "state").Attribute("x", flip ? px - 2 : px + 2).Attribute("y", ty).Attribute("text-anchor", flip ? "end" : "start")
                .Attribute("data-state", s.State)
                .Attribute("data-t", seconds(s.Microseconds).ToString("0.000000", CultureInfo.InvariantCulture)).Content(s.State).End();
        }
        svg.End();
    }
}

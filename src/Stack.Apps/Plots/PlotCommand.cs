using System.Globalization;
using Stack.Tcp;

namespace Stack.Apps.Plots;

/// <summary>What <c>stack plot</c> is asked: the capture, which connection (null: the one carrying the most payload), where to write.</summary>
public sealed record PlotOptions(string Pcap, string? Conn, string Output);

/// <summary>
/// <c>stack plot FILE.pcap [--conn FILTER] -o out.svg</c>: a time-sequence graph of one direction of one TCP
/// connection in a pcap or pcapng file (see docs/plots.md). Exit codes: 0 drawn, 1 the file cannot be read or has
/// no such connection, 2 a bad filter.
/// </summary>
public static class PlotCommand
{
    public static int Run(PlotOptions options, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ConnectionFilter? filter = null;
        if (options.Conn is { } text && (filter = ConnectionFilter.Parse(text)) is null)
        {
            stderr.WriteLine($"stack plot: bad --conn '{text}': expected {ConnectionFilter.Syntax}");
            return 2;
        }
        List<CapturedSegment> segments;
        var reader = new SegmentReader();
        try
        {
            var file = CaptureFile.Open(options.Pcap);
            segments = reader.Read(file.ReadFrames());
            if (file.Truncated > 0) stderr.WriteLine($"stack plot: {options.Pcap}: the file ends in a damaged or cut-short record; read what came before it");
            if (file.SkippedBlocks > 0) stderr.WriteLine($"stack plot: {options.Pcap}: {file.SkippedBlocks} pcapng blocks without a time or an interface skipped");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CaptureFormatException)
        {
            stderr.WriteLine($"stack plot: cannot read {options.Pcap}: {e.Message}");
            return 1;
        }
        foreach (var (why, count) in reader.Malformed)
            stderr.WriteLine($"stack plot: {count} frame(s) skipped: {why}");

        var pick = Pick(segments, filter);
        if (pick is not { } chosen)
        {
            stderr.WriteLine(filter is null
                ? $"stack plot: no TCP connection in {options.Pcap}"
                : $"stack plot: no TCP connection in {options.Pcap} matches '{filter}'; it has: {string.Join(", ", Directions(segments).Take(8).Select(d => $"{d.Sender}-{d.Receiver}"))}");
            return 1;
        }
        var graph = TimeSequence.Build(chosen.Segments, chosen.Sender, chosen.Receiver);
        try
        {
            using var output = new StreamWriter(options.Output, append: false, new System.Text.UTF8Encoding(false));
            TimeSequenceSvg.Write(graph, Path.GetFileName(options.Pcap), output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"stack plot: cannot write {options.Output}: {e.Message}");
            return 1;
        }
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{options.Output}: {graph.Sender} -> {graph.Receiver}, {graph.DataSegments} data segments, {graph.Retransmissions} retransmitted, {graph.DuplicateAcks.Count} duplicate ACKs"));
        return 0;
    }

    /// <summary>One direction of one connection, with the segments of both directions.</summary>
    internal readonly record struct Direction(TcpEndPoint Sender, TcpEndPoint Receiver, long Payload, List<CapturedSegment> Segments);

    /// <summary>Every direction of every connection, the most payload first.</summary>
    internal static IEnumerable<Direction> Directions(List<CapturedSegment> segments)
    {
        var connections = new Dictionary<(TcpEndPoint, TcpEndPoint), List<CapturedSegment>>();
        foreach (var s in segments)
        {
            var key = string.CompareOrdinal(s.Source.ToString(), s.Destination.ToString()) < 0 ? (s.Source, s.Destination) : (s.Destination, s.Source);
            if (!connections.TryGetValue(key, out var list)) connections[key] = list = [];
            list.Add(s);
        }
        return connections.SelectMany(c => new[]
        {
            new Direction(c.Key.Item1, c.Key.Item2, c.Value.Where(s => s.Source == c.Key.Item1).Sum(s => (long)s.PayloadLength), c.Value),
            new Direction(c.Key.Item2, c.Key.Item1, c.Value.Where(s => s.Source == c.Key.Item2).Sum(s => (long)s.PayloadLength), c.Value),
        }).OrderByDescending(d => d.Payload).ThenBy(d => d.Sender.ToString(), StringComparer.Ordinal);
    }

    /// <summary>The direction to draw: of those the filter picks (all with none), the one carrying the most payload.</summary>
    internal static Direction? Pick(List<CapturedSegment> segments, ConnectionFilter? filter)
    {
        foreach (var d in Directions(segments))
        {
            if (filter is null || filter.Matches(d.Sender, d.Receiver)) return d;
        }
        return null;
    }
}

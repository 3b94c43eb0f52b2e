using System.Text;
using Stack.Apps.Plots;

namespace Stack.Tests.Plots;

/// <summary>
/// <c>stack plot</c> on the capture of a lossy transfer made in-process (<see cref="LossyCapture"/>): one mark per
/// data segment, the retransmissions marked as the capture has them, the ACK and window lines, SACK blocks,
/// duplicate ACKs and the sender's states; and the filter, the formats and the errors.
/// </summary>
public sealed class TimeSequencePlotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("stack-plot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Lazy<(byte[] Pcap, int Lost)> Lossy = new(() => LossyCapture.Run(seed: 3, bytes: 512 * 1024));

    private (int Exit, string Out, string Err, SvgMarks? Svg) Plot(byte[] pcap, string? conn, string name = "capture.pcap")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, pcap);
        string svg = Path.Combine(_dir, name + ".svg");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = PlotCommand.Run(new PlotOptions(path, conn, svg), stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString(), exit == 0 ? new SvgMarks(File.ReadAllText(svg)) : null);
    }

    [Fact]
    public void One_mark_per_data_segment_and_every_retransmission_marked()
    {
        var (pcap, lost) = Lossy.Value;
        Assert.True(lost > 0, "the link lost some of the sender's frames");
        var data = PcapRecords.Segments(pcap, null, 5001).Where(s => s.PayloadData.Length > 0).ToList();
        int retransmissions = PcapRecords.Retransmissions(data);
        Assert.True(retransmissions > 0);

        var (exit, stdout, stderr, svg) = Plot(pcap, conn: null);

        Assert.True(exit == 0, stderr);
        Assert.True(svg!.IsSvg);
        Assert.Equal(data.Count, svg.WithClass("seg").Count);
        Assert.Equal(retransmissions, svg.WithClass("seg", "retrans").Count);
        Assert.Equal(retransmissions, svg.WithClass("retrans-label").Count);
        Assert.Equal(data.Select(s => (long)s.PayloadData.Length).Sum(), svg.WithClass("seg").Sum(e => long.Parse(e.Attribute("data-len")!.Value)));
        Assert.Contains($"{data.Count} data segments, {retransmissions} retransmitted", stdout);
    }

    [Fact]
    public void The_ack_and_window_lines_sack_blocks_and_duplicate_acks_are_drawn()
    {
        var (pcap, _) = Lossy.Value;
        var acks = PcapRecords.Segments(pcap, 5001, null);
        int sacked = acks.Count(PcapRecords.HasSack);

        var (exit, _, stderr, svg) = Plot(pcap, conn: ":5001");

        Assert.True(exit == 0, stderr);
        var ackLine = Assert.Single(svg!.WithClass("ack-line"));
        // The line steps once per advance of the cumulative ACK: at least once per ten data segments here.
        Assert.True(ackLine.Attribute("d")!.Value.Count(c => c == 'V') > 30);
        Assert.Single(svg.WithClass("win-line"));
        Assert.True(sacked > 0, "the receiver sent SACK blocks");
        Assert.True(svg.WithClass("sack").Count >= sacked);
        Assert.NotEmpty(svg.WithClass("dupack"));
    }

    [Fact]
    public void The_senders_states_are_marked_from_syn_sent_to_time_wait()
    {
        var (exit, _, stderr, svg) = Plot(Lossy.Value.Pcap, conn: "192.0.2.1-192.0.2.2:5001");

        Assert.True(exit == 0, stderr);
        var states = svg!.WithClass("state").Select(e => e.Attribute("data-state")!.Value).ToList();
        Assert.Equal(["SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"], states);
    }

    [Fact]
    public void The_receivers_direction_has_no_data_but_its_own_states()
    {
        var (exit, _, stderr, svg) = Plot(Lossy.Value.Pcap, conn: "192.0.2.2:5001-192.0.2.1");

        Assert.True(exit == 0, stderr);
        Assert.Empty(svg!.WithClass("seg"));
        Assert.Equal(["SYN-RECV", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"],
            svg.WithClass("state").Select(e => e.Attribute("data-state")!.Value));
    }

    [Theory]
    [InlineData("192.0.2.1:5001:1")]
    [InlineData("2001:db8::1:7")]
    [InlineData(":port")]
    [InlineData(":70000")]
    [InlineData("a-b-c")]
    [InlineData("")]
    [InlineData("[2001:db8::1")]
    public void A_bad_filter_exits_2_saying_the_syntax(string filter)
    {
        var (exit, _, stderr, _) = Plot(Lossy.Value.Pcap, filter);

        Assert.Equal(2, exit);
        Assert.Contains("--conn", stderr);
    }

    [Theory]
    [InlineData("192.0.2.1:5001", "192.0.2.1:5001", null)]
    [InlineData(":7", ":7", null)]
    [InlineData("[2001:db8::2]:7-192.0.2.1", "[2001:db8::2]:7", "192.0.2.1")]
    [InlineData("192.0.2.2:7-192.0.2.1:40000", "192.0.2.2:7", "192.0.2.1:40000")]
    public void Filters_parse(string text, string first, string? second)
    {
        var filter = ConnectionFilter.Parse(text);

        Assert.NotNull(filter);
        Assert.Equal(first, filter.First.ToString());
        Assert.Equal(second, filter.Second?.ToString());
    }

    [Fact]
    public void A_filter_no_connection_matches_exits_1_listing_what_there_is()
    {
        var (exit, _, stderr, _) = Plot(Lossy.Value.Pcap, ":9");

        Assert.Equal(1, exit);
        Assert.Contains("192.0.2.1:", stderr);
    }

    [Fact]
    public void A_file_that_is_no_capture_or_not_there_exits_1()
    {
        var (exit, _, stderr, _) = Plot(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n"), null);
        Assert.Equal(1, exit);
        Assert.Contains("not a pcap or pcapng file", stderr);

        var err = new StringWriter();
        Assert.Equal(1, PlotCommand.Run(new PlotOptions(Path.Combine(_dir, "none.pcap"), null, Path.Combine(_dir, "x.svg")), TextWriter.Null, err));
        Assert.Contains("cannot read", err.ToString());
    }

    [Fact]
    public void A_capture_cut_short_is_drawn_up_to_the_cut()
    {
        var pcap = Lossy.Value.Pcap;
        var cut = pcap.AsSpan(0, pcap.Length / 2 + 7).ToArray();
        int whole = PcapRecords.Read(cut).Count();

        var (exit, _, stderr, svg) = Plot(cut, null);

        Assert.True(exit == 0, stderr);
        Assert.Contains("cut-short record", stderr);
        int marks = svg!.WithClass("seg").Count;
        Assert.InRange(marks, 1, whole);
    }

    [Fact]
    public void Malformed_frames_are_skipped_and_counted_and_the_rest_drawn()
    {
        var records = PcapRecords.Read(Lossy.Value.Pcap).ToList();
        int dataFrames = PcapRecords.Segments(Lossy.Value.Pcap, null, 5001).Count(s => s.PayloadData.Length > 0);
        // Three broken frames among the good ones: a short Ethernet header, IPv4 with a bad header checksum, a TCP
        // data offset past the end.
        var broken = new List<byte[]> { new byte[10] };
        var tcp = records.Last(r => r.Frame.Length > 54 && r.Frame[12] == 0x08 && r.Frame[13] == 0x00 && r.Frame[14 + 9] == 6);
        var badChecksum = (byte[])tcp.Frame.Clone();
        badChecksum[14 + 10] ^= 0xFF;
        broken.Add(badChecksum);
        var badOffset = (byte[])tcp.Frame.Clone();
        badOffset[14 + 20 + 12] = 0xF0;
        broken.Add(badOffset);
        var pcap = PcapBuilder.Pcap(1, records.Select(r => (r.Micros, r.Frame)).Concat(broken.Select(b => (tcp.Micros, b))));

        var (exit, _, stderr, svg) = Plot(pcap, null);

        Assert.True(exit == 0, stderr);
        Assert.Equal(dataFrames, svg!.WithClass("seg").Count);
        Assert.Contains("1 frame(s) skipped: Ethernet: Truncated", stderr);
        Assert.Contains("1 frame(s) skipped: IPv4: BadChecksum", stderr);
        Assert.Contains("1 frame(s) skipped: TCP: BadHeaderLength", stderr);
    }

    [Theory]
    [InlineData("pcapng")]
    [InlineData("pcapng-big-endian")]
    [InlineData("raw")]
    [InlineData("sll")]
    [InlineData("pcap-big-endian-nanoseconds")]
    [InlineData("snap-length-96")]
    [InlineData("sll2")]
    [InlineData("null")]
    public void Pcapng_and_other_link_types_give_the_same_marks(string format)
    {
        var records = PcapRecords.Read(Lossy.Value.Pcap).Select(r => (r.Micros, r.Frame)).ToList();
        byte[] file = format switch
        {
            "pcapng" => PcapBuilder.Pcapng(records, bigEndian: false),
            "pcapng-big-endian" => PcapBuilder.Pcapng(records, bigEndian: true),
            "raw" => PcapBuilder.Pcap(101, records.Select(r => (r.Micros, r.Frame[14..]))),
            "sll" => PcapBuilder.Pcap(113, records.Select(r => (r.Micros, PcapBuilder.Sll(r.Frame)))),
            "sll2" => PcapBuilder.Pcap(276, records.Select(r => (r.Micros, PcapBuilder.Sll2(r.Frame)))),
            "null" => PcapBuilder.Pcap(0, records.Select(r => (r.Micros, PcapBuilder.Null(r.Frame)))),
            "snap-length-96" => PcapBuilder.Pcap(1, records, snap: 96), // tcpdump -s 96: headers only
            _ => PcapBuilder.Pcap(1, records, bigEndianNanoseconds: true),
        };
        var (_, _, _, expected) = Plot(Lossy.Value.Pcap, null, "reference.pcap");

        var (exit, _, stderr, svg) = Plot(file, null, "capture." + format);

        Assert.True(exit == 0, stderr);
        Assert.Equal(expected!.WithClass("seg").Select(e => e.Attribute("data-seq")!.Value + "@" + e.Attribute("data-t")!.Value),
            svg!.WithClass("seg").Select(e => e.Attribute("data-seq")!.Value + "@" + e.Attribute("data-t")!.Value));
        Assert.Equal(expected.WithClass("seg", "retrans").Count, svg.WithClass("seg", "retrans").Count);
    }

    /// <summary>The pcapng tshark itself writes (with its comments, options and statistics blocks) reads the same.</summary>
    [SkippableFact]
    public void A_pcapng_written_by_tshark_gives_the_same_marks()
    {
        Stack.Tests.Support.TapRequirement.CheckTools("tshark");
        string pcap = Path.Combine(_dir, "reference.pcap");
        File.WriteAllBytes(pcap, Lossy.Value.Pcap);
        string pcapng = Path.Combine(_dir, "tshark.pcapng");
        var start = new System.Diagnostics.ProcessStartInfo(Stack.Tests.Support.TapRequirement.FindOnPath("tshark")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-r", pcap, "-F", "pcapng", "-w", pcapng }) start.ArgumentList.Add(arg);
        using (var tshark = System.Diagnostics.Process.Start(start)!)
        {
            string log = tshark.StandardError.ReadToEnd() + tshark.StandardOutput.ReadToEnd();
            tshark.WaitForExit();
            Assert.True(tshark.ExitCode == 0, log);
        }
        var (_, _, _, expected) = Plot(Lossy.Value.Pcap, null, "reference.pcap");

        var (exit, _, stderr, svg) = Plot(File.ReadAllBytes(pcapng), null, "tshark.pcapng");

        Assert.True(exit == 0, stderr);
        Assert.Equal("", stderr);
        Assert.Equal(expected!.WithClass("seg").Select(e => e.Attribute("data-seq")!.Value + "@" + e.Attribute("data-t")!.Value),
            svg!.WithClass("seg").Select(e => e.Attribute("data-seq")!.Value + "@" + e.Attribute("data-t")!.Value));
    }
}

using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using SharpPcap;
using SharpPcap.LibPcap;
using Stack.Link.Devices.Memory;
using Stack.Link.Devices.Pcap;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

public sealed class PcapWriterTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("stack-pcap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Frame(int length, byte seed)
    {
        var f = new byte[length];
        for (var i = 0; i < length; i++) f[i] = (byte)(seed + i);
        return f;
    }

    [Fact]
    public void The_global_header_is_magic_version_2_4_zone_0_snaplen_262144_linktype_ethernet()
    {
        var ms = new MemoryStream();
        using (new PcapWriter(ms, leaveOpen: true)) { }
        var h = ms.ToArray();

        Assert.Equal(24, h.Length);
        Assert.Equal(0xA1B2C3D4u, BinaryPrimitives.ReadUInt32LittleEndian(h));          // magic: microseconds
        Assert.Equal([0xD4, 0xC3, 0xB2, 0xA1], h[..4]);                                  // little-endian on disk
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(4)));           // version_major
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(6)));           // version_minor
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(8)));            // thiszone
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(12)));         // sigfigs
        Assert.Equal(262144u, BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(16)));    // snaplen
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(20)));         // LINKTYPE_ETHERNET
    }

    [Fact]
    public void A_record_is_seconds_microseconds_captured_length_original_length_then_the_bytes()
    {
        var ms = new MemoryStream();
        var frame = Frame(60, 7);
        using (var w = new PcapWriter(ms, leaveOpen: true))
            w.Write(frame, T0.AddTicks(678_901 * TimeSpan.TicksPerMicrosecond));
        var r = ms.ToArray().AsSpan(24);

        Assert.Equal(16 + 60, r.Length);
        Assert.Equal((uint)T0.ToUnixTimeSeconds(), BinaryPrimitives.ReadUInt32LittleEndian(r));  // ts_sec
        Assert.Equal(678_901u, BinaryPrimitives.ReadUInt32LittleEndian(r[4..]));                  // ts_usec
        Assert.Equal(60u, BinaryPrimitives.ReadUInt32LittleEndian(r[8..]));                       // incl_len
        Assert.Equal(60u, BinaryPrimitives.ReadUInt32LittleEndian(r[12..]));                      // orig_len
        Assert.Equal(frame, r[16..].ToArray());
    }

    [Fact]
    public void A_frame_past_the_snap_length_is_cut_but_keeps_its_original_length()
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, leaveOpen: true, snapLength: 32))
            w.Write(Frame(60, 0), T0);
        var r = ms.ToArray().AsSpan(24);

        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(r[8..]));
        Assert.Equal(60u, BinaryPrimitives.ReadUInt32LittleEndian(r[12..]));
        Assert.Equal(16 + 32, r.Length);
    }

    [Fact]
    public void Writing_after_dispose_throws()
    {
        var w = new PcapWriter(new MemoryStream());
        w.Dispose();
        Assert.Throws<ObjectDisposedException>(() => w.Write(Frame(60, 0), T0));
    }

    private string WriteThreeFrames()
    {
        var path = Path.Combine(_dir, "three.pcap");
        using var w = PcapWriter.Create(path);
        w.Write(Frame(60, 1), T0);
        w.Write(Frame(42, 2), T0.AddMilliseconds(1.5));
        w.Write(Frame(1514, 3), T0.AddSeconds(2));
        return path;
    }

    [Fact]
    public void Libpcap_reads_the_file_back_through_SharpPcap()
    {
        var path = WriteThreeFrames();
        using var reader = new CaptureFileReaderDevice(path);
        reader.Open();
        Assert.Equal(PacketDotNet.LinkLayers.Ethernet, reader.LinkType);

        var frames = new List<(byte[] Data, DateTime Time)>();
        while (reader.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
            frames.Add((capture.Data.ToArray(), capture.Header.Timeval.Date));

        Assert.Equal([60, 42, 1514], frames.Select(f => f.Data.Length));
        Assert.Equal(Frame(42, 2), frames[1].Data);
        Assert.Equal(T0.UtcDateTime, frames[0].Time);
        Assert.Equal(T0.AddMilliseconds(1.5).UtcDateTime, frames[1].Time);
    }

    [SkippableFact]
    public void Tshark_reads_the_file_back()
    {
        TapRequirement.CheckTools("tshark");
        var path = WriteThreeFrames();

        var (code, stdout, stderr) = ProcessRunner.Run("tshark", ["-r", path, "-T", "fields", "-e", "frame.len", "-e", "frame.time_epoch"], TimeSpan.FromSeconds(60));

        Assert.True(code == 0, $"tshark exited {code}: {stderr}");
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToArray();
        Assert.Equal(["60", "42", "1514"], rows.Select(r => r[0]));
        Assert.StartsWith($"{T0.ToUnixTimeSeconds()}.001500", rows[1][1]);
    }

    [Fact]
    public void A_tracing_device_records_frames_out_and_in_with_the_injected_clock()
    {
        var clock = new FakeTimeProvider(T0);
        var path = Path.Combine(_dir, "trace.pcap");
        var (a, b) = MemoryLink.CreatePair();
        var atA = new FrameRecorder();
        var atB = new FrameRecorder();
        using (var traced = TracingDevice.ToFile(a, path, clock))
        using (b)
        {
            traced.Start(atA);
            b.Start(atB);
            traced.Transmit(Frame(60, 1));                  // out at T0
            Assert.True(atB.WaitForCount(1, TimeSpan.FromSeconds(5)));
            clock.Advance(TimeSpan.FromMilliseconds(250));
            b.Transmit(Frame(64, 2));                       // in at T0 + 250 ms
            Assert.True(atA.WaitForCount(1, TimeSpan.FromSeconds(5)));
            Assert.Equal("mem:a", traced.Name);
        }

        using var reader = new CaptureFileReaderDevice(path);
        reader.Open();
        var frames = new List<(byte[] Data, DateTime Time)>();
        while (reader.GetNextPacket(out var capture) == GetPacketStatus.PacketRead)
            frames.Add((capture.Data.ToArray(), capture.Header.Timeval.Date));
        Assert.Equal(2, frames.Count);
        Assert.Equal(Frame(60, 1), frames[0].Data);
        Assert.Equal(T0.UtcDateTime, frames[0].Time);
        Assert.Equal(Frame(64, 2), frames[1].Data);
        Assert.Equal(T0.AddMilliseconds(250).UtcDateTime, frames[1].Time);
    }
}

using Stack.Apps.Plots;

namespace Stack.Tests.Plots;

/// <summary>
/// Damaged captures never crash <c>stack plot</c>: bytes flipped anywhere in a pcap or pcapng file (headers,
/// lengths, frames) give a picture of what still parses (exit 0) or a clear error (exit 1), never an exception.
/// </summary>
public sealed class DamagedCaptureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("stack-damaged-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Lazy<byte[]> Small = new(() => LossyCapture.Run(seed: 5, bytes: 24 * 1024).Pcap);

    [Theory]
    [InlineData("pcap")]
    [InlineData("pcapng")]
    public void Flipped_bytes_give_a_picture_or_an_error_never_an_exception(string format)
    {
        byte[] good = format == "pcap" ? Small.Value : PcapBuilder.Pcapng(PcapRecords.Read(Small.Value).Select(r => (r.Micros, r.Frame)), bigEndian: false);
        var random = new Random(16);
        string path = Path.Combine(_dir, "damaged." + format);
        string svg = Path.Combine(_dir, "damaged.svg");
        var exits = new int[3];
        for (int round = 0; round < 300; round++)
        {
            var bytes = (byte[])good.Clone();
            int flips = 1 + random.Next(8);
            for (int i = 0; i < flips; i++)
            {
                // Half the flips in the first 100 bytes, where the file header and first records' lengths are.
                int at = random.Next(2) == 0 ? random.Next(Math.Min(100, bytes.Length)) : random.Next(bytes.Length);
                bytes[at] = (byte)random.Next(256);
            }
            if (random.Next(4) == 0) bytes = bytes[..random.Next(bytes.Length)];
            File.WriteAllBytes(path, bytes);

            int exit = PlotCommand.Run(new PlotOptions(path, null, svg), TextWriter.Null, TextWriter.Null);

            Assert.InRange(exit, 0, 1);
            exits[exit]++;
            if (exit == 0) _ = new SvgMarks(File.ReadAllText(svg)); // well-formed whatever went in
        }
        Assert.True(exits[0] > 0 && exits[1] > 0, $"both outcomes seen: {exits[0]} pictures, {exits[1]} errors");
    }
}

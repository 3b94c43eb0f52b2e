using System.Diagnostics;
using Stack.Apps.Plots;
using Stack.Scripting;
using Stack.Tests.Scripts;
using Stack.Tests.Support;

namespace Stack.Tests.Plots;

/// <summary>
/// Headless Chromium (Debian package <c>chromium</c>, in scripts/install-deps) renders both pictures to PNG
/// without errors. Skips where chromium is missing, except under CI=true, where that fails.
/// </summary>
public sealed class ChromiumRenderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("stack-render-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void Chromium_renders_the_time_sequence_graph()
    {
        TapRequirement.CheckTools("chromium");
        string pcap = Path.Combine(_dir, "lossy.pcap");
        File.WriteAllBytes(pcap, LossyCapture.Run(seed: 3, bytes: 128 * 1024).Pcap);
        string svg = Path.Combine(_dir, "time-sequence.svg");
        Assert.Equal(0, PlotCommand.Run(new PlotOptions(pcap, null, svg), TextWriter.Null, TextWriter.Null));

        AssertRenders(svg);
    }

    [SkippableFact]
    public void Chromium_renders_the_ladder_diagram()
    {
        TapRequirement.CheckTools("chromium");
        string svg = Path.Combine(_dir, "ladder.svg");
        using (var w = new StreamWriter(svg))
            ScriptDiagram.Write(ScriptRunner.RunFile(ScriptCorpus.PathOf("active-close.pkt")), w);

        AssertRenders(svg);
    }

    /// <summary>
    /// A screenshot: chromium exits 0 and writes a PNG of the window's size; and the DOM it built holds the SVG
    /// and no XML parser error (what Chromium shows in place of a document that is not well-formed).
    /// </summary>
    private void AssertRenders(string svg)
    {
        string png = Path.ChangeExtension(svg, ".png");
        var (exit, log) = Chromium($"--screenshot={png}", "--window-size=1200,800", new Uri(svg).AbsoluteUri);
        Assert.True(exit == 0, $"chromium exited {exit}: {log}");
        Assert.True(File.Exists(png), $"no screenshot: {log}");
        var bytes = File.ReadAllBytes(png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        // IHDR: width and height, big-endian, at bytes 16 and 20.
        Assert.Equal(1200, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(800, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));

        var (domExit, dom) = Chromium("--dump-dom", new Uri(svg).AbsoluteUri);
        Assert.True(domExit == 0, $"chromium --dump-dom exited {domExit}: {dom}");
        Assert.Contains("<svg", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("parsererror", dom, StringComparison.Ordinal);
    }

    /// <summary>Runs headless chromium; returns its exit code and stdout (then stderr).</summary>
    private (int Exit, string Output) Chromium(params string[] args)
    {
        var start = new ProcessStartInfo(TapRequirement.FindOnPath("chromium")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={Path.Combine(_dir, "profile")}" }.Concat(args))
            start.ArgumentList.Add(arg);
        using var chromium = Process.Start(start)!;
        var stderr = chromium.StandardError.ReadToEndAsync();
        var stdout = chromium.StandardOutput.ReadToEndAsync();
        if (!chromium.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            chromium.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish in 2 minutes");
        }
        return (chromium.ExitCode, stdout.Result + stderr.Result);
    }
}

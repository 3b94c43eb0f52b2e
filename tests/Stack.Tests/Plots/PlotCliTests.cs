using System.Xml.Linq;
using Stack.Tests.Scripts;

using Stack.Tests.Support;

namespace Stack.Tests.Plots;

/// <summary>The pictures through the `stack` command as users run it: `stack plot` and `stack script --diagram`.</summary>
public sealed class PlotCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("stack-plot-cli-").FullName;

    private static (int Code, string Out, string Err) Cli(params string[] args) => CliRunner.Run(args);

    private static int Count(XDocument svg, string cls) =>
        svg.Descendants().Count(e => ((string?)e.Attribute("class"))?.Split(' ').Contains(cls) == true);

    [Fact]
    public void Stack_plot_writes_the_graph_of_a_capture()
    {
        var pcap = Path.Combine(_directory, "lossy.pcap");
        var svg = Path.Combine(_directory, "lossy.svg");
        File.WriteAllBytes(pcap, LossyCapture.Run(seed: 3, bytes: 64 * 1024).Pcap);

        var (code, _, err) = Cli("plot", pcap, "-o", svg);

        Assert.True(code == 0, err);
        var doc = XDocument.Load(svg);
        Assert.True(Count(doc, "seg") > 40);
        Assert.Equal(1, Count(doc, "ack-line"));
    }

    [Fact]
    public void Stack_plot_without_an_output_or_with_a_bad_filter_exits_2()
    {
        var pcap = Path.Combine(_directory, "small.pcap");
        File.WriteAllBytes(pcap, LossyCapture.Run(seed: 5, bytes: 8 * 1024).Pcap);
        var (code, _, err) = Cli("plot", pcap);
        Assert.Equal(2, code);
        Assert.Contains("-o FILE.svg is required", err, StringComparison.Ordinal);
        Assert.Equal(2, Cli("plot", pcap, "--conn", "not-an-end", "-o", Path.Combine(_directory, "x.svg")).Code);
    }

    [Fact]
    public void Stack_script_diagram_draws_the_run()
    {
        var svg = Path.Combine(_directory, "ladder.svg");
        var (code, output, _) = Cli("script", ScriptCorpus.PathOf("active-close.pkt"), "--diagram", svg);

        Assert.True(code == 0, output);
        var doc = XDocument.Load(svg);
        Assert.True(Count(doc, "arrow") >= 9);
        Assert.Contains(doc.Descendants(), e => (string?)e.Attribute("data-state") == "TIME-WAIT");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

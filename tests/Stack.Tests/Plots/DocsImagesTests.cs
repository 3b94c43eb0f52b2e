using Stack.Apps.Plots;
using Stack.Scripting;
using Stack.Tests.Scripts;

namespace Stack.Tests.Plots;

/// <summary>
/// Writes docs/images/time-sequence.svg and docs/images/ladder.svg from deterministic runs, when asked:
/// <c>STACK_WRITE_DOCS_IMAGES=1 dotnet test tests/Stack.Tests -c Release --filter FullyQualifiedName~DocsImages</c>.
/// </summary>
public sealed class DocsImagesTests
{
    private static readonly bool Asked = Environment.GetEnvironmentVariable("STACK_WRITE_DOCS_IMAGES") == "1";

    private static string Images => Path.Combine(ScriptCorpus.Root, "docs", "images");

    [SkippableFact]
    public void Writes_the_time_sequence_graph_of_docs_plots_md()
    {
        Skip.IfNot(Asked, "set STACK_WRITE_DOCS_IMAGES=1 to write docs/images/time-sequence.svg");
        // The file's name shows in the picture: a fixed one in a folder of its own.
        var dir = Directory.CreateTempSubdirectory("stack-docs-");
        string pcap = Path.Combine(dir.FullName, "lossy-transfer.pcap");
        File.WriteAllBytes(pcap, LossyCapture.Run(seed: 3, bytes: 160 * 1024).Pcap);
        try
        {
            var stderr = new StringWriter();
            int exit = PlotCommand.Run(new PlotOptions(pcap, null, Path.Combine(Images, "time-sequence.svg")), TextWriter.Null, stderr);
            Assert.True(exit == 0, stderr.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public void Writes_the_ladder_diagram_of_docs_plots_md()
    {
        Skip.IfNot(Asked, "set STACK_WRITE_DOCS_IMAGES=1 to write docs/images/ladder.svg");
        var result = ScriptRunner.RunFile(ScriptCorpus.PathOf("fast-retransmit-three-dupacks.pkt"));
        Assert.True(result.Passed, result.ToString());
        // The name as the repository has it, not this machine's path.
        result = result with { File = "tests/Stack.Tests/Scripts/corpus/fast-retransmit-three-dupacks.pkt" };
        using var w = new StreamWriter(Path.Combine(Images, "ladder.svg"));
        ScriptDiagram.Write(result, w);
    }
}

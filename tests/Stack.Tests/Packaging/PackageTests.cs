using System.IO.Compression;
using System.Xml.Linq;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Packaging;

/// <summary>scripts/pack's packages: what each holds, and the `stack` tool installed from them as a user would.</summary>
public sealed class PackageTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_library_is_a_package_with_docs_readme_and_license_and_depends_on_the_layer_below()
    {
        foreach (var id in PackedArtifacts.Libraries)
        {
            var path = Path.Combine(PackedArtifacts.Folder, $"{id}.{PackedArtifacts.Version}.nupkg");
            Assert.True(File.Exists(path), $"{path} is missing");
            Assert.True(File.Exists(Path.ChangeExtension(path, ".snupkg")), $"{id}'s symbols are missing");
            using var zip = ZipFile.OpenRead(path);
            var names = zip.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains($"lib/net10.0/{id}.dll", names);
            Assert.Contains($"lib/net10.0/{id}.xml", names);
            Assert.Contains("README.md", names);
            Assert.Contains("LICENSE", names);
            var nuspec = Nuspec(zip, id);
            XNamespace ns = nuspec.Root!.Name.Namespace;
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal("MIT", metadata.Element(ns + "license")?.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
            var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToList();
            var expected = id switch
            {
                "Stack.Link" => "SharpPcap",
                "Stack.IP" => "Stack.Link",
                "Stack.Tcp" or "Stack.Udp" => "Stack.IP",
                "Stack.Sockets" or "Stack.Scripting" => "Stack.Tcp",
                _ => "Stack.Sockets",
            };
            Assert.Contains(expected, dependencies);
        }
    }

    [Fact]
    public void The_stack_tool_installs_from_the_local_packages_and_runs_its_demo()
    {
        var tools = Directory.CreateTempSubdirectory("stack-tool-").FullName;
        try
        {
            var (code, text) = Run($"dotnet tool install Stack.Tool --version {PackedArtifacts.Version} --tool-path {tools} --add-source {PackedArtifacts.Folder}", 300);
            Assert.True(code == 0, text);
            (code, text) = Run($"{Path.Combine(tools, "stack")} demo --count 1", 120);
            Assert.True(code == 0, text);
            Assert.Contains("demo: all replies received", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(tools, recursive: true);
        }
    }

    private (int Code, string Output) Run(string command, int seconds)
    {
        var (code, text) = Tools.Run(command, seconds);
        output.WriteLine($"$ {command}  (exit {code})\n{text}");
        return (code, text);
    }

    private static XDocument Nuspec(ZipArchive zip, string id)
    {
        using var stream = zip.GetEntry($"{id}.nuspec")!.Open();
        return XDocument.Load(stream);
    }
}

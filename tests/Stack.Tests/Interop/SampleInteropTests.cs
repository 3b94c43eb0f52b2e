using Stack.Tests.Packaging;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// samples/HelloStack, built as a user's program against the packages scripts/pack made (the local folder its only
/// package source), run on a TAP in the test namespace: the kernel's curl gets its page, and its HttpClient fetches
/// a file from a kernel web server through the stack.
/// </summary>
public sealed class SampleInteropTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void The_sample_built_from_the_packages_serves_curl_and_fetches_through_the_stack()
    {
        TapRequirement.Check("curl", "python3");
        using var ns = TestNamespace.Create();
        var build = Directory.CreateTempSubdirectory("stack-sample-").FullName;
        try
        {
            var project = Path.Combine(TestNamespace.RepoRoot, "samples", "HelloStack", "HelloStack.csproj");
            var (code, text) = Tools.Run($"dotnet build {project} -c Release --artifacts-path {build} -p:StackVersion={PackedArtifacts.Version} -p:RestoreSources={PackedArtifacts.Folder}", 600);
            output.WriteLine(text);
            Assert.True(code == 0, text);
            var dll = Directory.GetFiles(build, "HelloStack.dll", SearchOption.AllDirectories).Single(p => p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

            var site = Path.Combine(build, "site");
            Directory.CreateDirectory(site);
            File.WriteAllText(Path.Combine(site, "hello.txt"), "hello from the kernel\n");
            using var web = ns.StartBackground($"cd {site} && exec timeout 120 python3 -m http.server --bind 192.0.2.1 8000");
            // The kernel's web server answers before the sample asks it (python starts slowly on a loaded machine).
            Assert.Equal(0, ns.Exec("curl -sS --retry 20 --retry-connrefused --retry-delay 1 http://192.0.2.1:8000/hello.txt", TimeSpan.FromSeconds(40)).ExitCode);
            using var sample = ns.StartBackground($"exec dotnet {dll} --tap tap0 --ip 192.0.2.2/24 --fetch http://192.0.2.1:8000/hello.txt");
            try
            {
                sample.WaitForOutput("hello from the kernel", seconds: 60);
            }
            finally
            {
                output.WriteLine(sample.StdOut + sample.StdErr);
            }

            var (curlCode, page, _) = ns.Exec("curl -sS --max-time 20 http://192.0.2.2/", TimeSpan.FromSeconds(30));
            Assert.Equal(0, curlCode);
            Assert.Equal("hello from a .NET program on Stack\n", page);

            sample.Signal("TERM");
            Assert.True(sample.WaitForExit(TimeSpan.FromSeconds(20)), "the sample did not stop on SIGTERM");
            output.WriteLine(sample.StdOut + sample.StdErr);
            Assert.Equal(0, sample.ExitCode);
            Assert.Contains("stopped", sample.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(build, recursive: true);
        }
    }
}

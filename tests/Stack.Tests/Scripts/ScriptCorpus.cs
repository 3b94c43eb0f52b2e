namespace Stack.Tests.Scripts;

/// <summary>The example scripts under tests/Stack.Tests/Scripts/corpus, found from the folder holding Stack.sln.</summary>
internal static class ScriptCorpus
{
    /// <summary>The folder holding Stack.sln.</summary>
    public static string Root { get; } = FindRepoRoot();

    public static string Directory { get; } = Path.Combine(Root, "tests", "Stack.Tests", "Scripts", "corpus");

    /// <summary>
    /// Every script under tests/ meant to pass, as paths relative to the repository root with '/' separators: the
    /// fuzzers' seed inputs under tests/Stack.Tests/Fuzz are raw material for mutation, replayed by their own tests.
    /// </summary>
    public static IEnumerable<string> AllUnderTests =>
        System.IO.Directory.EnumerateFiles(Path.Combine(Root, "tests"), "*.pkt", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !f.StartsWith("tests/Stack.Tests/Fuzz/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    public static IEnumerable<string> Files => System.IO.Directory.EnumerateFiles(Directory, "*.pkt").Order(StringComparer.Ordinal);

    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var f in Files) data.Add(Path.GetFileName(f));
            return data;
        }
    }

    public static string PathOf(string name) => Path.Combine(Directory, name);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Stack.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No Stack.sln above {AppContext.BaseDirectory}: run the tests from the repository's build output.");
    }
}

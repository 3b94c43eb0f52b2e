namespace Stack.Tests.Scripts;

/// <summary>The example scripts under tests/Stack.Tests/Scripts/corpus, found from the folder holding Stack.sln.</summary>
internal static class ScriptCorpus
{
    public static string Directory { get; } = Path.Combine(FindRepoRoot(), "tests", "Stack.Tests", "Scripts", "corpus");

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

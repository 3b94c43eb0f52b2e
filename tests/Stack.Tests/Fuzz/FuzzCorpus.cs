using Stack.Tests.Scripts;

namespace Stack.Tests.Fuzz;

/// <summary>
/// The checked-in fuzz corpus: tests/Stack.Tests/Fuzz/corpus/TARGET holds the seeds, the afl-cmin'd queue of
/// the 10-minute runs and, under crashes/, every crash input found (docs/fuzzing.md). Found from the folder
/// holding Stack.sln, as the script corpus is, so a clean clone replays what is checked in.
/// </summary>
internal static class FuzzCorpus
{
    public static string Directory { get; } = Path.Combine(ScriptCorpus.Root, "tests", "Stack.Tests", "Fuzz", "corpus");

    /// <summary>Every file of <paramref name="target"/>'s corpus, crashes/ included, relative to its folder with '/' separators.</summary>
    public static IEnumerable<string> Files(string target)
    {
        string dir = Path.Combine(Directory, target);
        return System.IO.Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal);
    }

    public static byte[] Read(string target, string file) => File.ReadAllBytes(Path.Combine(Directory, target, file));
}

using System.Text.RegularExpressions;
using Stack.Tests.Support;

namespace Stack.Tests.Docs;

/// <summary>The README's C# blocks are the snippets in ReadmeSnippets.cs, line for line, so they compile and cannot rot.</summary>
public sealed partial class ReadmeSnippetTests
{
    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"// snippet: start\n(.*?)[ ]*// snippet: end", RegexOptions.Singleline)]
    private static partial Regex Snippet();

    [Fact]
    public void Every_csharp_block_in_the_README_is_a_compiled_snippet()
    {
        var readme = File.ReadAllText(Path.Combine(TestNamespace.RepoRoot, "README.md"));
        var code = File.ReadAllText(Path.Combine(TestNamespace.RepoRoot, "tests", "Stack.Tests", "Docs", "ReadmeSnippets.cs"));
        var blocks = CSharpBlock().Matches(readme).Select(m => Normalize(m.Groups[1].Value)).ToList();
        var snippets = Snippet().Matches(code).Select(m => Normalize(m.Groups[1].Value)).ToHashSet();
        Assert.True(blocks.Count >= 5, $"the README shows {blocks.Count} C# blocks");
        foreach (var block in blocks) Assert.Contains(block, snippets);
    }

    /// <summary>The same lines, whatever the indentation and the escaped newlines of a C# string in the README.</summary>
    private static string Normalize(string text) =>
        string.Join('\n', text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
}

using System.Text.RegularExpressions;

namespace Stack.Tests.Tcp.Harness;

/// <summary>
/// A segment in packetdrill notation, split into its fields (flags, sequence range, ack, win, urg, options) so a
/// pattern is compared with what the stack sent field by field, and a mismatch names the fields that differ
/// instead of showing two long lines to tell apart. In a pattern, <c>*</c> stands for any one number or word and
/// <c>**</c> for any fields the pattern does not name; without <c>**</c> a field the pattern leaves out (ack,
/// urg, options) must be absent.
/// </summary>
internal sealed class SegmentPattern
{
    private static readonly string[] FieldOrder = ["flags", "seq", "ack", "win", "urg", "options"];

    private readonly Dictionary<string, string> _fields;
    private readonly bool _anyOthers;

    private SegmentPattern(Dictionary<string, string> fields, bool anyOthers)
    {
        _fields = fields;
        _anyOthers = anyOthers;
    }

    /// <summary>The fields of a pattern, or of a segment as <see cref="Stack.Tcp.Wire.TcpRepr.ToString(int)"/> prints it.</summary>
    public static SegmentPattern Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        bool anyOthers = false;
        string rest = text.Trim();
        int options = rest.IndexOf('<', StringComparison.Ordinal);
        if (options >= 0)
        {
            fields["options"] = rest[options..].Trim();
            rest = rest[..options];
        }
        var words = new Queue<string>(rest.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string[] positional = ["flags", "seq"];
        int next = 0;
        while (words.TryDequeue(out var word))
        {
            if (word == "**")
            {
                anyOthers = true;
                next = positional.Length; // "R. ** ack 1": the sequence range is among the fields left open.
                continue;
            }
            if (word is "ack" or "win" or "urg")
            {
                Assert.True(words.TryDequeue(out var value), $"'{word}' without a value in '{text}'");
                fields[word] = value;
                continue;
            }
            Assert.True(next < positional.Length, $"unexpected '{word}' in segment pattern '{text}'");
            fields[positional[next++]] = word;
        }
        return new SegmentPattern(fields, anyOthers);
    }

    /// <summary>The fields in which <paramref name="actual"/> differs from this pattern, each as "field: expected X, got Y".</summary>
    public IReadOnlyList<string> Mismatches(SegmentPattern actual)
    {
        ArgumentNullException.ThrowIfNull(actual);
        var differences = new List<string>();
        foreach (string field in FieldOrder)
        {
            bool expected = _fields.TryGetValue(field, out var want);
            bool present = actual._fields.TryGetValue(field, out var got);
            if (!expected)
            {
                if (present && !_anyOthers)
                    differences.Add($"{field}: expected none, got {got}");
                continue;
            }
            if (!present)
            {
                differences.Add($"{field}: expected {want}, got none");
                continue;
            }
            string? detail = null;
            if (field == "options" ? OptionsMatch(want!, got!, out detail) : ValueMatches(want!, got!))
                continue;
            differences.Add($"{field}: expected {want}, got {got}{detail}");
        }
        return differences;
    }

    private static bool ValueMatches(string pattern, string value)
    {
        string regex = "^" + Regex.Escape(pattern).Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", @"[^ ,>]+", StringComparison.Ordinal) + "$";
        return Regex.IsMatch(value, regex);
    }

    /// <summary>Option lists compare option by option; a mismatch names the first option that differs.</summary>
    private static bool OptionsMatch(string pattern, string value, out string? detail)
    {
        detail = null;
        string[] want = Split(pattern), got = Split(value);
        for (int i = 0; i < Math.Max(want.Length, got.Length); i++)
        {
            if (i < want.Length && want[i] == "**") return true; // The rest of the list is left open.
            string? w = i < want.Length ? want[i] : null, g = i < got.Length ? got[i] : null;
            if (w is not null && g is not null && ValueMatches(w, g)) continue;
            detail = $" (option {i + 1}: expected {w ?? "none"}, got {g ?? "none"})";
            return false;
        }
        return true;
    }

    private static string[] Split(string options) =>
        options.TrimStart('<').TrimEnd('>').Split(',', StringSplitOptions.RemoveEmptyEntries);
}

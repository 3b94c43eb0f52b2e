using CsCheck;
using Stack.Apps.Scripting;

namespace Stack.Tests.Scripts;

/// <summary>Whatever the input, the parser answers with a script or a <see cref="ScriptParseException"/>.</summary>
public sealed class ScriptFuzzTests
{
    private static readonly string[] Corpus = [.. ScriptCorpus.Files.Select(File.ReadAllText)];

    /// <summary>Characters and fragments that mean something to the parser, so random input gets past the first token.</summary>
    private static readonly string[] Pieces =
    [
        "+", "0", "1", ".", "...", "~", "*", "<", ">", "S", "S.", "P.", "F", "R", ":", "(", ")", "[", "]", "{", "}", ",",
        "=", "-", "-1", "|", "`", " ", "\n", "\r\n", "\t", "//", "/*", "*/", "ack", "win", "urg", "mss", "wscale", "sackOK",
        "sack", "TS", "val", "ecr", "nop", "eol", "socket", "accept", "poll", "close", "SOCK_STREAM", "O_NONBLOCK",
        "EAGAIN", "tcpi_state", "fd", "\"", "%{", "--", "--tolerance_usecs=", "--ip_version=", "ipv6", "0x", "4294967296",
        "99999999999999999999", "\0", "é",
    ];

    private static void ParsesOrReportsAnError(string text)
    {
        try
        {
            var script = ScriptParser.Parse(text, "fuzz.pkt");
            // Whatever parsed also prints and parses back.
            ScriptParser.Parse(script.ToString(), "fuzz.pkt");
        }
        catch (ScriptParseException e)
        {
            Assert.StartsWith("fuzz.pkt:", e.Message, StringComparison.Ordinal);
            Assert.InRange(e.Line, 1, text.Count(c => c == '\n') + 1);
            Assert.True(e.Column >= 1);
        }
    }

    [Fact]
    public void Random_strings_never_crash_the_parser() =>
        Gen.String.Sample(ParsesOrReportsAnError, iter: 3000);

    [Fact]
    public void Random_sequences_of_script_fragments_never_crash_the_parser() =>
        Gen.Int[0, Pieces.Length - 1].Array[0, 60]
            .Select(ix => string.Concat(ix.Select(i => Pieces[i])))
            .Sample(ParsesOrReportsAnError, iter: 5000);

    [Fact]
    public void Mutated_corpus_scripts_never_crash_the_parser()
    {
        var mutation = Gen.Select(Gen.Int[0, Corpus.Length - 1], Gen.Int[0, 3], Gen.Int, Gen.Int[0, Pieces.Length - 1], Gen.Int[1, 8]);
        mutation.Sample((file, kind, at, piece, count) =>
        {
            string text = Corpus[file];
            int pos = (int)((uint)at % (uint)(text.Length + 1));
            int len = Math.Min(count, text.Length - pos);
            string mutated = kind switch
            {
                0 => text.Remove(pos, len),
                1 => text.Insert(pos, Pieces[piece]),
                2 => text.Remove(pos, len).Insert(pos, Pieces[piece]),
                _ => text[..pos],
            };
            ParsesOrReportsAnError(mutated);
        }, iter: 3000);
    }
}

using CsCheck;
using Stack.Scripting;

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
            // Whatever parsed also prints and parses back to the same model.
            var reparsed = ScriptParser.Parse(script.ToString(), "fuzz.pkt");
            Assert.Equal(WithoutLines(script), WithoutLines(reparsed));
        }
        catch (ScriptParseException e)
        {
            Assert.StartsWith("fuzz.pkt:", e.Message, StringComparison.Ordinal);
            Assert.InRange(e.Line, 1, text.Count(c => c == '\n') + 1);
            Assert.True(e.Column >= 1);
        }
    }

    private static Script WithoutLines(Script s) =>
        s with { Events = new ValueList<ScriptEvent>(s.Events.Select(e => e with { Line = 0 })), Warnings = ValueList<ScriptWarning>.Empty };

    private static readonly Gen<ScriptNumber> Exact = Gen.UInt.Select(ScriptNumber.Of);

    private static Gen<ScriptNumber> Number(bool outbound, Gen<ScriptNumber> exact) =>
        outbound ? Gen.Frequency((4, exact), (1, Gen.Const(ScriptNumber.Any))) : exact;

    private static Gen<ScriptTcpOption> Option(bool outbound) => Gen.OneOf<ScriptTcpOption>(
        Gen.Const<ScriptTcpOption>(new ScriptTcpOption.Nop()),
        Gen.Const<ScriptTcpOption>(new ScriptTcpOption.Eol()),
        Gen.Const<ScriptTcpOption>(new ScriptTcpOption.SackPermitted()),
        Number(outbound, Gen.UShort.Select(v => ScriptNumber.Of(v))).Select(v => (ScriptTcpOption)new ScriptTcpOption.Mss(v)),
        Number(outbound, Gen.Byte.Select(v => ScriptNumber.Of(v))).Select(v => (ScriptTcpOption)new ScriptTcpOption.WindowScale(v)),
        Gen.Select(Number(outbound, Exact), Number(outbound, Exact), (v, e) => (ScriptTcpOption)new ScriptTcpOption.Timestamp(v, e)),
        Gen.Select(Gen.UInt, Gen.UInt).Array[1, 3].Select(b => (ScriptTcpOption)new ScriptTcpOption.Sack(
            new ValueList<SackBlock>(b.Select(x => new SackBlock(x.Item1, x.Item2))))));

    /// <summary>Any packet line the parser accepts: options padded with nops to whole words and at most 40 bytes.</summary>
    private static readonly Gen<PacketEvent> Packets =
        Gen.Bool.SelectMany(outbound => Gen.Select(
            Gen.Byte.Select(b => (Stack.Tcp.Wire.TcpFlags)b),
            Gen.Select(Gen.UInt, Gen.Int[0, 100_000], Gen.Int[0, 7]),
            Gen.Select(Number(outbound, Exact), Number(outbound, Gen.UShort.Select(v => ScriptNumber.Of(v))), Gen.Bool),
            Option(outbound).Array[0, 6],
            Gen.Int[0, 2],
            (flags, seq, clauses, options, optionsKind) =>
            {
                (uint start, int length, int anyMask) = seq;
                var ack = outbound ? (clauses.Item3 ? clauses.Item1 : ScriptNumber.Absent) : clauses.Item1;
                var kept = new List<ScriptTcpOption>();
                foreach (var o in options)
                    if (ScriptTcpOption.EncodedLengthOf(kept) + o.EncodedLength <= 36) kept.Add(o);
                while (ScriptTcpOption.EncodedLengthOf(kept) % 4 != 0) kept.Add(new ScriptTcpOption.Nop());
                var kind = !outbound ? PacketOptionsKind.List : (PacketOptionsKind)optionsKind;
                return new PacketEvent(0, ScriptTime.Relative(length % 3 * 1000), outbound ? PacketDirection.Out : PacketDirection.In, flags,
                    outbound && (anyMask & 1) != 0 ? ScriptNumber.Any : ScriptNumber.Of(start),
                    outbound && (anyMask & 2) != 0 ? ScriptNumber.Any : ScriptNumber.Of(unchecked(start + (uint)length)),
                    outbound && (anyMask & 4) != 0 ? ScriptNumber.Any : ScriptNumber.Of((uint)length),
                    ack, outbound && !clauses.Item3 ? ScriptNumber.Absent : clauses.Item2, kind,
                    kind == PacketOptionsKind.List ? new ValueList<ScriptTcpOption>(kept) : ValueList<ScriptTcpOption>.Empty);
            }));

    [Fact]
    public void Generated_packet_lines_print_and_parse_back() =>
        Packets.Sample(seed: FixedSeedSampling.Seed, p =>
        {
            string line = p.ToString();
            var parsed = Assert.IsType<PacketEvent>(Assert.Single(ScriptParser.Parse(line).Events));
            Assert.Equal(p with { Line = 1 }, parsed);
        }, iter: 3000);

    [Fact]
    public void Random_strings_never_crash_the_parser() =>
        Gen.String.Sample(seed: FixedSeedSampling.Seed, ParsesOrReportsAnError, iter: 3000);

    [Fact]
    public void Random_sequences_of_script_fragments_never_crash_the_parser() =>
        Gen.Int[0, Pieces.Length - 1].Array[0, 60]
            .Select(ix => string.Concat(ix.Select(i => Pieces[i])))
            .Sample(seed: FixedSeedSampling.Seed, ParsesOrReportsAnError, iter: 5000);

    [Fact]
    public void Mutated_corpus_scripts_never_crash_the_parser()
    {
        var mutation = Gen.Select(Gen.Int[0, Corpus.Length - 1], Gen.Int[0, 3], Gen.Int, Gen.Int[0, Pieces.Length - 1], Gen.Int[1, 8]);
        mutation.Sample(seed: FixedSeedSampling.Seed, (file, kind, at, piece, count) =>
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

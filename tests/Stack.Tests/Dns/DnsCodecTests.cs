using System.Net;
using Stack.Sockets.Dns.Wire;

namespace Stack.Tests.Dns;

/// <summary>The DNS wire codec: round trips, compression, and every malformation rejected with its reason, never a throw.</summary>
public sealed class DnsCodecTests
{
    private static readonly DnsSoa Soa = new("ns.example", "hostmaster.example", 7, 3600, 600, 86400, 60);

    internal static DnsMessage SampleResponse() => new(
        new DnsHeader(0x1234, IsResponse: true, RecursionAvailable: true),
        [new DnsQuestion("www.example", DnsRecordType.A)],
        [
            DnsRecord.ForCname("www.example", 300, "web.example"),
            DnsRecord.ForAddress("web.example", 60, IPAddress.Parse("192.0.2.10")),
            DnsRecord.ForAddress("web.example", 60, IPAddress.Parse("2001:db8::10")),
        ],
        [DnsRecord.ForSoa("example", 120, Soa)],
        [new DnsRecord("x.example", DnsRecordType.TXT, DnsClass.IN, 5, [3, (byte)'a', (byte)'b', (byte)'c'])]);

    [Fact]
    public void A_response_round_trips_with_every_section_and_names_compressed()
    {
        var bytes = DnsWriter.Write(SampleResponse());
        Assert.Equal(DnsRejectReason.None, DnsMessage.TryParse(bytes, out var parsed));
        Assert.Equal(SampleResponse().Header, parsed!.Header);
        Assert.Equal(SampleResponse().Questions, parsed.Questions);
        Assert.Equal("web.example", parsed.Answers[0].Target);
        Assert.Equal(IPAddress.Parse("192.0.2.10"), parsed.Answers[1].Address);
        Assert.Equal(IPAddress.Parse("2001:db8::10"), parsed.Answers[2].Address);
        Assert.Equal(Soa, parsed.Authorities[0].Soa);
        Assert.Equal([3, (byte)'a', (byte)'b', (byte)'c'], parsed.Additionals[0].Data);
        // "example" is written once in full, and "www.example" and "web.example" once each: every later name is a
        // pointer or ends in one (uncompressed, the message would be 227 bytes).
        Assert.Equal(159, bytes.Length);
        Assert.Equal(bytes, DnsWriter.Write(parsed));
    }

    [Fact]
    public void A_query_is_the_header_and_one_question_with_recursion_desired()
    {
        var bytes = DnsWriter.Write(DnsMessage.Query(0xBEEF, new DnsQuestion("a.example", DnsRecordType.AAAA)));
        Assert.Equal(
            [0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, (byte)'a', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 0, 0, 28, 0, 1],
            bytes);
    }

    [Theory]
    [InlineData("www.example.", "www.example")]
    [InlineData("WWW.Example", "WWW.Example")]
    [InlineData(".", ".")]
    [InlineData(@"a\.b.example", @"a\.b.example")]
    [InlineData(@"\065bc.example", "Abc.example")]
    [InlineData(@"a\032b.example", @"a\032b.example")]
    public void Names_normalize_with_escapes(string text, string normal) => Assert.Equal(normal, DnsName.Normalize(text));

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData(@"a\")]
    [InlineData(@"a\25")]
    [InlineData(@"a\256")]
    [InlineData("é.example")]
    public void Bad_names_are_refused(string text) => Assert.False(DnsName.TryLabels(text, out _, out _));

    [Fact]
    public void Labels_stop_at_63_bytes_and_names_at_255()
    {
        Assert.True(DnsName.TryLabels(new string('a', 63) + ".example", out _, out _));
        Assert.False(DnsName.TryLabels(new string('a', 64) + ".example", out _, out var error));
        Assert.Contains("63", error, StringComparison.Ordinal);
        // Four labels of 63 are 4 * 64 + 1 = 257 bytes on the wire; 3 of 63 and one of 61 are 255.
        var longest = string.Join('.', new string('a', 63), new string('b', 63), new string('c', 63), new string('d', 61));
        Assert.True(DnsName.TryLabels(longest, out _, out _));
        Assert.False(DnsName.TryLabels(longest + "d", out _, out error));
        Assert.Contains("255", error, StringComparison.Ordinal);
    }

    /// <summary>A header with one question and no records, then the question's name bytes, then type A class IN.</summary>
    private static byte[] WithQuestionName(params byte[] name) =>
        [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, .. name, 0, 1, 0, 1];

    [Fact]
    public void A_pointer_to_itself_is_a_loop()
    {
        Assert.Equal(DnsRejectReason.PointerLoop, DnsMessage.TryParse(WithQuestionName(0xC0, 12), out _));
    }

    [Fact]
    public void Two_pointers_that_point_at_each_other_are_a_loop()
    {
        // At 12: label "a", then a pointer to 17; at 17 (after the question) a pointer back to 12.
        byte[] message = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 1, (byte)'a', 0xC0, 20, 0, 1, 0, 1, 0xC0, 12];
        Assert.Equal(DnsRejectReason.PointerLoop, DnsMessage.TryParse(message, out _));
    }

    [Fact]
    public void A_pointer_back_into_the_labels_it_ends_is_a_loop()
    {
        // "a" "b" then a pointer to "b": backwards, but into its own run.
        Assert.Equal(DnsRejectReason.PointerLoop, DnsMessage.TryParse(WithQuestionName(1, (byte)'a', 1, (byte)'b', 0xC0, 14), out _));
    }

    [Fact]
    public void A_pointer_past_the_end_is_out_of_bounds()
    {
        Assert.Equal(DnsRejectReason.PointerOutOfBounds, DnsMessage.TryParse(WithQuestionName(0xC3, 0xFF), out _));
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x80)]
    public void Reserved_label_types_are_refused(byte type)
    {
        Assert.Equal(DnsRejectReason.BadLabelType, DnsMessage.TryParse(WithQuestionName(type, 0), out _));
    }

    [Fact]
    public void A_name_over_255_bytes_is_refused_even_when_built_from_pointers()
    {
        var labels = new List<byte>();
        for (int i = 0; i < 5; i++) labels.AddRange([63, .. Enumerable.Repeat((byte)'x', 63)]);
        Assert.Equal(DnsRejectReason.NameTooLong, DnsMessage.TryParse(WithQuestionName([.. labels, 0]), out _));
    }

    [Fact]
    public void Address_records_of_the_wrong_length_are_refused()
    {
        var response = SampleResponse() with { Answers = [new DnsRecord("a.example", DnsRecordType.A, DnsClass.IN, 1, [1, 2, 3])] };
        Assert.Equal(DnsRejectReason.BadRecordData, DnsMessage.TryParse(DnsWriter.Write(response), out _));
        response = response with { Answers = [new DnsRecord("a.example", DnsRecordType.AAAA, DnsClass.IN, 1, [1, 2, 3, 4])] };
        Assert.Equal(DnsRejectReason.BadRecordData, DnsMessage.TryParse(DnsWriter.Write(response), out _));
    }

    [Fact]
    public void Every_cut_of_a_response_is_truncated_unless_the_TC_bit_allows_it()
    {
        var bytes = DnsWriter.Write(SampleResponse());
        for (int length = 0; length < bytes.Length; length++)
        {
            var reason = DnsMessage.TryParse(bytes.AsSpan(0, length), out _);
            Assert.True(reason == DnsRejectReason.Truncated, $"cut at {length}: {reason}");
        }
        var truncated = DnsWriter.Write(SampleResponse() with { Header = SampleResponse().Header with { Truncated = true } });
        // With TC, a cut between or inside records still gives the header and the question.
        var cut = DnsMessage.TryParse(truncated.AsSpan(0, truncated.Length - 3), out var partial);
        Assert.Equal(DnsRejectReason.None, cut);
        Assert.True(partial!.Header.Truncated);
        Assert.Single(partial.Questions);
    }

    [Fact]
    public void A_TTL_with_the_top_bit_set_reads_as_zero()
    {
        var response = SampleResponse() with { Answers = [DnsRecord.ForAddress("a.example", 0x8000_0001, IPAddress.Parse("192.0.2.1"))] };
        Assert.Equal(DnsRejectReason.None, DnsMessage.TryParse(DnsWriter.Write(response), out var parsed));
        Assert.Equal(0u, parsed!.Answers[0].Ttl);
    }

    /// <summary>
    /// Fixed-seed fuzzing: valid messages with bytes flipped, inserted, cut and pointers aimed at random. The
    /// parser answers every one with a message or a reason; whatever it accepts, the writer writes again and the
    /// parser reads back the same.
    /// </summary>
    [Fact]
    public void Mutated_messages_never_throw_and_what_parses_round_trips()
    {
        var random = new Random(1035);
        byte[][] seeds = [DnsWriter.Write(SampleResponse()), DnsWriter.Write(DnsMessage.Query(7, new DnsQuestion("a.b.example", DnsRecordType.AAAA)))];
        var reasons = new Dictionary<DnsRejectReason, int>();
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = new List<byte>(seeds[random.Next(seeds.Length)]);
            for (int m = random.Next(1, 5); m > 0; m--)
            {
                int at = random.Next(bytes.Count);
                switch (random.Next(5))
                {
                    case 0: bytes[at] = (byte)random.Next(256); break;
                    case 1: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                    case 2: bytes.Insert(at, (byte)random.Next(256)); break;
                    case 3: bytes.RemoveRange(at, bytes.Count - at); break;
                    default:
                        if (at + 1 < bytes.Count)
                        {
                            int target = random.Next(bytes.Count + 8);
                            bytes[at] = (byte)(0xC0 | (target >> 8));
                            bytes[at + 1] = (byte)target;
                        }
                        break;
                }
                if (bytes.Count == 0) break;
            }
            var reason = DnsMessage.TryParse(bytes.ToArray(), out var parsed);
            reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            if (reason != DnsRejectReason.None || !WritableNames(parsed!)) continue;
            var again = DnsWriter.Write(parsed!);
            Assert.Equal(DnsRejectReason.None, DnsMessage.TryParse(again, out var reparsed));
            Assert.Equal(again, DnsWriter.Write(reparsed!));
        }
        foreach (var expected in new[] { DnsRejectReason.None, DnsRejectReason.Truncated, DnsRejectReason.PointerLoop, DnsRejectReason.PointerOutOfBounds, DnsRejectReason.BadLabelType })
            Assert.True(reasons.GetValueOrDefault(expected) > 0, $"the fuzzer never produced {expected}: {string.Join(", ", reasons)}");
    }

    /// <summary>An OPT record's root name, and a decoded field the writer writes differently, aside: whether every name can be written again.</summary>
    private static bool WritableNames(DnsMessage m) =>
        m.Questions.Select(q => q.Name)
            .Concat(m.Answers.Concat(m.Authorities).Concat(m.Additionals).SelectMany(r => new[] { r.Name, r.Target, r.Soa?.PrimaryServer, r.Soa?.Mailbox }))
            .All(n => n is null || DnsName.TryLabels(n, out _, out _));
}

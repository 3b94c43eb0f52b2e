using Stack.Fuzz;

namespace Stack.Tests.Fuzz;

/// <summary>
/// Issue 12: every file of the fuzz corpus, and every crash afl-fuzz found, runs through the same target code
/// (<see cref="FuzzTargets"/> in fuzz/Stack.Fuzz) that afl-fuzz drives; an exception that escapes fails the case
/// named by the file. The targets carry their own oracles (the host still answers a ping, a printed script
/// parses back the same, every accessor of an accepted view reads inside its buffer).
/// </summary>
public sealed class CorpusReplayTests
{
    public static TheoryData<string, string> Inputs
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string target in FuzzTargets.All.Keys.Order(StringComparer.Ordinal))
            {
                foreach (string file in FuzzCorpus.Files(target)) data.Add(target, file);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Replays_without_a_finding(string target, string file) => FuzzTargets.All[target](FuzzCorpus.Read(target, file));

    [Theory]
    [InlineData("frame")]
    [InlineData("script")]
    [InlineData("wire")]
    public void Every_target_has_its_seeds_checked_in(string target)
    {
        var seeds = target switch
        {
            "frame" => Seeds.Frame(),
            "script" => Seeds.Script(),
            _ => Seeds.Wire(),
        };
        foreach (var (name, input) in seeds)
        {
            Assert.True(input.AsSpan().SequenceEqual(FuzzCorpus.Read(target, $"seed-{name}")),
                $"{target}/seed-{name} is not what Seeds makes now: rewrite them with "
                + "`dotnet fuzz/Stack.Fuzz/bin/Release/net10.0/Stack.Fuzz.dll seeds tests/Stack.Tests/Fuzz/corpus`");
        }
    }

    [Fact]
    public void Every_target_has_a_corpus() =>
        Assert.All(FuzzTargets.All.Keys, target => Assert.NotEmpty(FuzzCorpus.Files(target)));
}

namespace Stack.Tests.Support;

/// <summary>
/// The collection of tests that compare rates measured a few seconds apart (a SYN flood's connection rate against
/// the unflooded one) or the process's managed memory before and after a flood: xUnit runs it by itself, after
/// the parallel collections, so the other tests' load on the machine's two cores and their live objects do not
/// land on one measurement and not the other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}

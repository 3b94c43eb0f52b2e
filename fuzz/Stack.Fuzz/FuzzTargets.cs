namespace Stack.Fuzz;

/// <summary>
/// The fuzz targets by name. Each takes one input and either returns or throws: any exception that escapes is a
/// finding (afl-fuzz records it as a crash; the corpus replay tests fail on it). Targets keep no state between
/// inputs, so the in-process (persistent) runner and the tests see the same behaviour.
/// </summary>
public static class FuzzTargets
{
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["frame"] = FrameTarget.Run,
        ["script"] = ScriptTarget.Run,
        ["wire"] = WireTarget.Run,
    };
}

/// <summary>A target's own check failed: the code under test returned, but what it returned is wrong.</summary>
public sealed class FuzzOracleException(string message) : Exception(message);

using CsCheck;

namespace Stack.Tests;

/// <summary>
/// The suite's <c>Sample</c>: every property test names the seed it draws from
/// (<c>gen.Sample(seed: FixedSeedSampling.Seed, assert)</c>) and draws in order, so a run is the same on every machine and
/// CI cannot fail on a new random draw. These extensions sit in the <c>Stack.Tests</c> namespace, so the tests'
/// calls bind to them ahead of CsCheck's, whose draws are random; a call that names no seed does not compile.
/// Exploring new seeds is a fuzz script's job; a seed that ever failed is added as a test of its own.
/// </summary>
internal static class FixedSeedSampling
{
    /// <summary>The seed the suite's samples start from.</summary>
    public const ulong Seed = 0x5EED_0011;

    private const string NameTheSeed = "Name the seed: gen.Sample(seed: FixedSeedSampling.Seed, assert). CsCheck's own Sample draws at random.";

    public static void Sample<T>(this Gen<T> gen, ulong seed, Action<T> assert, long iter = 100, int threads = -1)
    {
        _ = threads; // Sequential: the draw order is part of what makes a run repeatable.
        var pcg = new PCG(1, seed);
        for (long i = 0; i < iter; i++)
        {
            T input = gen.Generate(pcg, null!, out _);
            try
            {
                assert(input);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"Sample {i} of seed {seed:X} failed for input {input}", e);
            }
        }
    }

    public static void Sample<T1, T2>(this Gen<(T1, T2)> gen, ulong seed, Action<T1, T2> assert, long iter = 100,
        int threads = -1) =>
        gen.Sample(seed: seed, t => assert(t.Item1, t.Item2), iter, threads);

    public static void Sample<T1, T2, T3>(this Gen<(T1, T2, T3)> gen, ulong seed, Action<T1, T2, T3> assert,
        long iter = 100, int threads = -1) =>
        gen.Sample(seed: seed, t => assert(t.Item1, t.Item2, t.Item3), iter, threads);

    public static void Sample<T1, T2, T3, T4>(this Gen<(T1, T2, T3, T4)> gen, ulong seed,
        Action<T1, T2, T3, T4> assert, long iter = 100, int threads = -1) =>
        gen.Sample(seed: seed, t => assert(t.Item1, t.Item2, t.Item3, t.Item4), iter, threads);

    public static void Sample<T1, T2, T3, T4, T5>(this Gen<(T1, T2, T3, T4, T5)> gen, ulong seed,
        Action<T1, T2, T3, T4, T5> assert, long iter = 100, int threads = -1) =>
        gen.Sample(seed: seed, t => assert(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5), iter, threads);

    public static void Sample<T1, T2, T3, T4, T5, T6>(this Gen<(T1, T2, T3, T4, T5, T6)> gen, ulong seed,
        Action<T1, T2, T3, T4, T5, T6> assert, long iter = 100, int threads = -1) =>
        gen.Sample(seed: seed, t => assert(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6), iter, threads);

    /// <summary>A property as a predicate: false fails the sample, as with CsCheck's.</summary>
    public static void Sample<T>(this Gen<T> gen, ulong seed, Func<T, bool> predicate, long iter = 100, int threads = -1) =>
        gen.Sample(seed: seed, t => Assert(predicate(t), t), iter, threads);

    public static void Sample<T1, T2>(this Gen<(T1, T2)> gen, ulong seed, Func<T1, T2, bool> predicate, long iter = 100,
        int threads = -1) =>
        gen.Sample(seed: seed, t => Assert(predicate(t.Item1, t.Item2), t), iter, threads);

    public static void Sample<T1, T2, T3>(this Gen<(T1, T2, T3)> gen, ulong seed, Func<T1, T2, T3, bool> predicate,
        long iter = 100, int threads = -1) =>
        gen.Sample(seed: seed, t => Assert(predicate(t.Item1, t.Item2, t.Item3), t), iter, threads);

    private static void Assert<T>(bool holds, T input)
    {
        if (!holds)
        {
            throw new InvalidOperationException($"The property does not hold for {input}");
        }
    }

    // Seedless calls bind here (ahead of CsCheck's random ones) and fail to compile.
    [Obsolete(NameTheSeed, error: true)]
    public static void Sample<T>(this Gen<T> gen, Action<T> assert, long iter = 100, int threads = -1) =>
        throw new NotSupportedException(NameTheSeed);

    [Obsolete(NameTheSeed, error: true)]
    public static void Sample<T1, T2>(this Gen<(T1, T2)> gen, Action<T1, T2> assert, long iter = 100, int threads = -1) =>
        throw new NotSupportedException(NameTheSeed);

    [Obsolete(NameTheSeed, error: true)]
    public static void Sample<T1, T2, T3>(this Gen<(T1, T2, T3)> gen, Action<T1, T2, T3> assert, long iter = 100,
        int threads = -1) =>
        throw new NotSupportedException(NameTheSeed);

    [Obsolete(NameTheSeed, error: true)]
    public static void Sample<T>(this Gen<T> gen, Func<T, bool> predicate, long iter = 100, int threads = -1) =>
        throw new NotSupportedException(NameTheSeed);

    [Obsolete(NameTheSeed, error: true)]
    public static void Sample<T1, T2>(this Gen<(T1, T2)> gen, Func<T1, T2, bool> predicate, long iter = 100,
        int threads = -1) =>
        throw new NotSupportedException(NameTheSeed);
}

using Stack.Link.Devices;
using Stack.Link.Devices.Impairment;
using Stack.Link.Devices.Memory;
using Stack.Link.Time;

namespace Stack.Tests.Link;

public sealed class ImpairmentTests
{
    private static List<(int Id, Instant At)> Run(ImpairmentSpec spec, int frames)
    {
        var impairment = new Impairment(spec);
        var output = new List<(int, Instant)>();
        for (int i = 0; i < frames; i++)
        {
            var now = Instant.FromMilliseconds(i);
            impairment.Process(BitConverter.GetBytes(i), now, (f, at) => output.Add((BitConverter.ToInt32(f), at)));
        }
        return output;
    }

    [Fact]
    public void The_syntax_of_stack_serve_impair_parses()
    {
        var spec = ImpairmentSpec.Parse("loss=5%,dup=1%,reorder=2%,corrupt=0.1%,delay=10ms,jitter=2ms,rate=100mbit,seed=7");
        Assert.Equal((0.05, 0.01, 0.02, 0.001), (spec.Loss, spec.Duplicate, spec.Reorder, spec.Corrupt));
        Assert.Equal((TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(2)), (spec.Delay, spec.Jitter));
        Assert.Equal((100_000_000L, 7), (spec.RateBitsPerSecond, spec.Seed));
        Assert.Throws<FormatException>(() => ImpairmentSpec.Parse("loss=120%"));
        Assert.Throws<FormatException>(() => ImpairmentSpec.Parse("wobble=1"));
    }

    [Fact]
    public void The_same_seed_gives_the_same_run_and_rates_are_near_the_spec()
    {
        var spec = ImpairmentSpec.Parse("loss=10%,dup=2%,reorder=5%,seed=42");
        var first = Run(spec, 20_000);
        Assert.Equal(first, Run(spec, 20_000));
        Assert.NotEqual(first, Run(spec with { Seed = 43 }, 20_000));

        int delivered = first.Select(f => f.Id).Distinct().Count();
        Assert.InRange(20_000 - delivered, 1_800, 2_200); // about 10% lost
        Assert.InRange(first.Count - delivered, 300, 600); // about 2% duplicated
        int outOfOrder = first.Zip(first.Skip(1)).Count(p => p.Second.Id < p.First.Id);
        Assert.InRange(outOfOrder, 700, 1_200); // about 5% reordered
    }

    [Fact]
    public void Rate_limit_spaces_frames_and_drops_beyond_the_backlog()
    {
        var impairment = new Impairment(new ImpairmentSpec { RateBitsPerSecond = 8_000_000 }); // 1 byte per µs
        var times = new List<Instant>();
        for (int i = 0; i < 200; i++) impairment.Process(new byte[1000], Instant.Zero, (_, at) => times.Add(at));
        Assert.Equal(Instant.FromMilliseconds(1), times[0]);
        Assert.Equal(Instant.FromMilliseconds(2), times[1]);
        Assert.Equal(101, times.Count); // 100 ms of backlog, then tail drop
        Assert.Equal(99, impairment.Counters.RateDropped);
    }

    [Fact]
    public void An_impaired_memory_link_delays_and_loses_in_both_directions()
    {
        var (a, b) = MemoryLink.CreatePair();
        using var impaired = new ImpairedDevice(a, ImpairmentSpec.Parse("loss=50%,delay=20ms,seed=3"));
        var atB = new Collector();
        var atA = new Collector();
        b.Start(atB);
        impaired.Start(atA);
        for (int i = 0; i < 100; i++)
        {
            impaired.Transmit(new byte[60]);
            b.Transmit(new byte[61]);
        }
        Assert.True(SpinWait.SpinUntil(() => atB.Count + impaired.Outbound.Lost == 100 && atA.Count + impaired.Inbound.Lost == 100,
            TimeSpan.FromSeconds(5)));
        Assert.InRange(atB.Count, 25, 75);
        Assert.InRange(atA.Count, 25, 75);
        b.Dispose();
    }

    private sealed class Collector : IFrameSink
    {
        private int _count;
        public int Count => Volatile.Read(ref _count);
        public void OnFrame(ReadOnlySpan<byte> frame) => Interlocked.Increment(ref _count);
    }
}

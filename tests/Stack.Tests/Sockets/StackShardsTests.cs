using Stack.Sockets.Diagnostics;
using Stack.Sockets.Hosting;
using Stack.Tcp.Ports;

namespace Stack.Tests.Sockets;

/// <summary>The parts of a multi-queue stack that need no TAP: the hand-off ring, port slices, counter sums.</summary>
public sealed class StackShardsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void A_stray_packet_visits_every_other_shard_once_then_is_answered(int shards)
    {
        for (int from = 0; from < shards; from++)
        {
            var visited = new List<int> { from };
            int at = from, hops = 0;
            while (StackShards.Next(at, hops, shards) is { } next)
            {
                visited.Add(next);
                (at, hops) = (next, hops + 1);
            }
            Assert.Equal(Enumerable.Range(0, shards).Order(), visited.Order());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    public void Port_slices_are_disjoint_contiguous_and_cover_the_range(int shards)
    {
        int expected = EphemeralPorts.DefaultFirst;
        for (int k = 0; k < shards; k++)
        {
            var (first, last) = EphemeralPorts.Slice(k, shards);
            Assert.Equal(expected, first);
            Assert.True(last >= first);
            Assert.InRange(last - first + 1, 16384 / shards - 1, 16384 / shards + 1);
            expected = last + 1;
        }
        Assert.Equal(EphemeralPorts.DefaultLast + 1, expected);
        Assert.Throws<ArgumentOutOfRangeException>(() => EphemeralPorts.Slice(2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => EphemeralPorts.Slice(0, 0));
    }

    [Fact]
    public void A_shard_allocates_only_from_its_slice()
    {
        var (first, last) = EphemeralPorts.Slice(1, 2);
        var ports = new EphemeralPorts(first, last, new Random(3));
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(ports.TryAllocate([192, 0, 2, 2], [192, 0, 2, 1], 80, _ => false, out var port));
            Assert.InRange(port, first, last);
        }
    }

    [Fact]
    public void Counters_of_shards_are_summed_by_name_with_a_few_per_shard()
    {
        IReadOnlyList<StackCounter> a = [new("TcpPassiveOpens", 3), new("StackTcpCurrEstablished", 2, IsGauge: true), new("Icmp6InEchos", 1)];
        IReadOnlyList<StackCounter> b = [new("TcpPassiveOpens", 5), new("StackTcpCurrEstablished", 1, IsGauge: true), new("StackTcpHandedOff", 4)];
        var all = StackCounters.Combine([a, b]);
        Assert.Equal(
        [
            new("TcpPassiveOpens", 8), new("StackTcpCurrEstablished", 3, true), new("Icmp6InEchos", 1), new("StackTcpHandedOff", 4),
            new("StackShard0TcpPassiveOpens", 3), new("StackShard1TcpPassiveOpens", 5), new("StackShard1StackTcpHandedOff", 4),
        ], all);
        Assert.Same(a, StackCounters.Combine([a]));
    }
}

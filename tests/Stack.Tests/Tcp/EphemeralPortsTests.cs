using Stack.Tcp.Ports;

namespace Stack.Tests.Tcp;

public sealed class EphemeralPortsTests
{
    private static readonly byte[] Key = Enumerable.Range(100, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] Local = [192, 0, 2, 1];
    private static readonly byte[] Remote = [198, 51, 100, 7];

    [Fact]
    public void Tcp_ports_stay_in_range_avoid_used_ones_and_do_not_repeat_soon()
    {
        var ports = new EphemeralPorts(Key, random: new Random(1));
        var used = new HashSet<ushort>();
        for (int i = 0; i < 2000; i++)
        {
            Assert.True(ports.TryAllocate(Local, Remote, 80, used.Contains, out ushort port));
            Assert.InRange(port, (ushort)49152, (ushort)65535);
            Assert.True(used.Add(port), $"port {port} was in use");
        }
    }

    [Fact]
    public void Successive_connections_to_one_destination_walk_the_range()
    {
        var ports = new EphemeralPorts(Key, random: new Random(2));
        Assert.True(ports.TryAllocate(Local, Remote, 443, _ => false, out ushort first));
        Assert.True(ports.TryAllocate(Local, Remote, 443, _ => false, out ushort second));
        // Algorithm 4 increments the destination's table slot: the next port is the next one round the range.
        Assert.Equal(first == 65535 ? 49152 : first + 1, second);
    }

    [Fact]
    public void A_small_range_is_used_up_exactly_then_allocation_fails()
    {
        var ports = new EphemeralPorts(Key, first: 1000, last: 1009, random: new Random(3));
        Assert.Equal(10, ports.Count);
        var used = new HashSet<ushort>();
        for (int i = 0; i < 10; i++)
        {
            Assert.True(ports.TryAllocate(Local, Remote, 80, used.Contains, out ushort port));
            Assert.InRange(port, (ushort)1000, (ushort)1009);
            Assert.True(used.Add(port));
        }
        Assert.False(ports.TryAllocate(Local, Remote, 80, used.Contains, out _));
        Assert.False(ports.TryAllocateRandom(used.Contains, out _));
    }

    [Fact]
    public void The_last_free_port_is_found()
    {
        var ports = new EphemeralPorts(Key, random: new Random(4));
        Assert.True(ports.TryAllocate(Local, Remote, 80, p => p != 50000, out ushort port));
        Assert.Equal(50000, port);
    }

    [Fact]
    public void Udp_random_ports_stay_in_range_and_avoid_used_ones()
    {
        var ports = new EphemeralPorts(Key, first: 40000, last: 40099, random: new Random(5));
        var used = new HashSet<ushort> { 40000, 40001, 40050 };
        var seen = new HashSet<ushort>();
        for (int i = 0; i < 500; i++)
        {
            Assert.True(ports.TryAllocateRandom(used.Contains, out ushort port));
            Assert.InRange(port, (ushort)40000, (ushort)40099);
            Assert.DoesNotContain(port, used);
            seen.Add(port);
        }
        Assert.True(seen.Count > 50, $"only {seen.Count} distinct ports");
    }

    [Fact]
    public void Bad_ranges_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new EphemeralPorts(first: 0, last: 10));
        Assert.Throws<ArgumentException>(() => new EphemeralPorts(first: 20, last: 10));
    }
}

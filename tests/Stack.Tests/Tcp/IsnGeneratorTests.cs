using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Isn;

namespace Stack.Tests.Tcp;

public sealed class IsnGeneratorTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] Local = [192, 0, 2, 1];
    private static readonly byte[] Remote = [192, 0, 2, 2];

    [Fact]
    public void Same_tuple_and_time_give_the_same_isn()
    {
        var isn = new IsnGenerator(Key);
        Instant now = Instant.FromMilliseconds(5000);
        Assert.Equal(isn.Next(Local, 49152, Remote, 80, now), isn.Next(Local, 49152, Remote, 80, now));
    }

    [Fact]
    public void Isn_differs_per_four_tuple()
    {
        var isn = new IsnGenerator(Key);
        Instant now = Instant.FromMilliseconds(5000);
        var seen = new HashSet<SeqNum>
        {
            isn.Next(Local, 49152, Remote, 80, now),
            isn.Next(Local, 49153, Remote, 80, now),
            isn.Next(Local, 49152, Remote, 81, now),
            isn.Next(Remote, 49152, Local, 80, now),
            isn.Next(Local, 80, Remote, 49152, now),
            isn.Next([192, 0, 2, 3], 49152, Remote, 80, now),
        };
        Assert.Equal(6, seen.Count);

        var ports = new HashSet<SeqNum>();
        for (int port = 1024; port < 3024; port++)
        {
            ports.Add(isn.Next(Local, (ushort)port, Remote, 80, now));
        }
        Assert.Equal(2000, ports.Count);
    }

    [Fact]
    public void Isn_grows_by_one_every_four_microseconds()
    {
        var isn = new IsnGenerator(Key);
        var t0 = new Instant(1_000_000);
        SeqNum first = isn.Next(Local, 49152, Remote, 80, t0);
        Assert.Equal(first, isn.Next(Local, 49152, Remote, 80, t0 + TimeSpan.FromTicks(30)));
        Assert.Equal(first + 1, isn.Next(Local, 49152, Remote, 80, new Instant(1_000_004)));
        Assert.Equal(first + 250_000, isn.Next(Local, 49152, Remote, 80, t0 + TimeSpan.FromSeconds(1)));
        Assert.True(isn.Next(Local, 49152, Remote, 80, t0 + TimeSpan.FromSeconds(1)) > first);
    }

    [Fact]
    public void The_secret_key_changes_the_sequence()
    {
        Instant now = Instant.FromMilliseconds(5000);
        byte[] otherKey = (byte[])Key.Clone();
        otherKey[0] ^= 1;
        Assert.NotEqual(
            new IsnGenerator(Key).Next(Local, 49152, Remote, 80, now),
            new IsnGenerator(otherKey).Next(Local, 49152, Remote, 80, now));
        Assert.NotEqual(
            new IsnGenerator().Next(Local, 49152, Remote, 80, now),
            new IsnGenerator().Next(Local, 49152, Remote, 80, now));
    }

    [Fact]
    public void Takes_ipv6_addresses_and_refuses_other_lengths()
    {
        var isn = new IsnGenerator(Key);
        byte[] local6 = new byte[16];
        byte[] remote6 = new byte[16];
        local6[15] = 1;
        remote6[15] = 2;
        Instant now = Instant.Zero;
        Assert.NotEqual(isn.Next(local6, 1, remote6, 2, now), isn.Next(remote6, 1, local6, 2, now));
        Assert.Throws<ArgumentException>(() => isn.Next(new byte[5], 1, Remote, 2, now));
        Assert.Throws<ArgumentException>(() => isn.Next(Local, 1, remote6, 2, now));
        Assert.Throws<ArgumentException>(() => new IsnGenerator(new byte[15]));
    }
}

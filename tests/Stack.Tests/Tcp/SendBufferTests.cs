using CsCheck;
using Stack.Tcp.Buffers;

namespace Stack.Tests.Tcp;

public sealed class SendBufferTests
{
    [Fact]
    public void Write_accepts_what_fits()
    {
        var buffer = new SendBuffer(10);
        Assert.Equal(6, buffer.Write(new byte[6]));
        Assert.Equal(4, buffer.Write(new byte[6]));
        Assert.Equal(0, buffer.Write(new byte[1]));
        Assert.Equal(10, buffer.Count);
        Assert.Equal(0, buffer.Free);
    }

    [Fact]
    public void Bytes_wrap_around_the_ring_and_come_out_in_order()
    {
        var buffer = new SendBuffer(8);
        buffer.Write([1, 2, 3, 4, 5, 6]);
        buffer.Acknowledge(5);
        Assert.Equal(7, buffer.Write([7, 8, 9, 10, 11, 12, 13]));

        var all = new byte[8];
        buffer.CopyOut(0, all);
        Assert.Equal(new byte[] { 6, 7, 8, 9, 10, 11, 12, 13 }, all);

        var middle = new byte[4];
        buffer.CopyOut(2, middle);
        Assert.Equal(new byte[] { 8, 9, 10, 11 }, middle);
    }

    [Fact]
    public void Misuse_is_refused_with_a_reason()
    {
        var buffer = new SendBuffer(8);
        buffer.Write([1, 2, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Acknowledge(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Acknowledge(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyOut(2, new byte[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyOut(-1, new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SendBuffer(0));
    }

    [Fact]
    public void Default_capacity_is_1_MiB() => Assert.Equal(1024 * 1024, new SendBuffer().Capacity);

    [Fact]
    public void Behaves_like_a_list_under_random_writes_acks_and_copies()
    {
        // Each op: (kind, a, b) with a and b scaled to the state at the time.
        var ops = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 1000], Gen.Int[0, 1000]).Array[1, 150];
        Gen.Select(Gen.Int[1, 64], ops).Sample(seed: FixedSeedSampling.Seed, (capacity, script) =>
        {
            var buffer = new SendBuffer(capacity);
            var model = new List<byte>();
            byte next = 0;
            foreach ((int kind, int a, int b) in script)
            {
                switch (kind)
                {
                    case 0:
                        var data = new byte[a % (capacity + 8)];
                        for (int i = 0; i < data.Length; i++)
                        {
                            data[i] = next++;
                        }
                        int accepted = buffer.Write(data);
                        Assert.Equal(Math.Min(data.Length, capacity - model.Count), accepted);
                        model.AddRange(data.AsSpan(0, accepted).ToArray());
                        next = (byte)(next - (data.Length - accepted));
                        break;
                    case 1:
                        int acked = a % (model.Count + 1);
                        buffer.Acknowledge(acked);
                        model.RemoveRange(0, acked);
                        break;
                    default:
                        int offset = a % (model.Count + 1);
                        int length = b % (model.Count - offset + 1);
                        var copy = new byte[length];
                        buffer.CopyOut(offset, copy);
                        Assert.Equal(model.GetRange(offset, length), copy);
                        break;
                }
                Assert.Equal(model.Count, buffer.Count);
                Assert.Equal(capacity - model.Count, buffer.Free);
            }
        }, iter: 300, threads: 1);
    }
}

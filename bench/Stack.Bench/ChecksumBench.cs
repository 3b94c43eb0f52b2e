using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Stack.Link.Wire;

namespace Stack.Bench;

/// <summary>Internet checksum throughput; MB/s = Size / Mean. Offset 1 makes every load unaligned.</summary>
[MemoryDiagnoser]
public class ChecksumBench
{
    private byte[] _buffer = [];

    [Params(64, 1500, 9000, 65535)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _buffer = new byte[Size + 1];
        new Random(42).NextBytes(_buffer);
    }

    [Benchmark]
    public ushort Compute() => InternetChecksum.Compute(_buffer.AsSpan(1, Size));

    /// <summary>The scalar loop InternetChecksum used before it was vectorized, to show what the vectors buy.</summary>
    [Benchmark(Baseline = true)]
    public ushort Scalar()
    {
        var data = _buffer.AsSpan(1, Size);
        ulong native = 0;
        var words = MemoryMarshal.Cast<byte, uint>(data);
        int i = 0;
        for (; i + 4 <= words.Length; i += 4)
            native += (ulong)words[i] + words[i + 1] + words[i + 2] + words[i + 3];
        for (; i < words.Length; i++)
            native += words[i];
        int rest = words.Length * 4;
        if (data.Length - rest >= 2)
        {
            native += MemoryMarshal.Read<ushort>(data[rest..]);
            rest += 2;
        }
        if (rest < data.Length)
            native += data[rest];
        ushort folded = (ushort)~InternetChecksum.Finish(native);
        return InternetChecksum.Finish(BinaryPrimitives.ReverseEndianness(folded));
    }
}

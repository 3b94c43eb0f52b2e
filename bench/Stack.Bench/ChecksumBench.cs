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
}

using BenchmarkDotNet.Attributes;
using Stack.IP.Fragments;
using Stack.Link.Time;

namespace Stack.Bench;

/// <summary>Reassembling a 64 KiB datagram (less its IPv4 header) from 1480-byte fragments.</summary>
[MemoryDiagnoser]
public class ReassemblyBench
{
    private const int PayloadLength = 65535 - 20;

    private readonly Reassembler<int> _reassembler = new(ReassemblyLimits.Ipv4);
    private readonly byte[] _payload = new byte[PayloadLength];
    private readonly byte[] _header = new byte[20];
    private FragmentSlice[] _slices = [];
    private int _id;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_payload);
        _slices = new FragmentSlice[Fragmenter.Count(PayloadLength, 1480)];
        Fragmenter.Plan(PayloadLength, 1480, _slices);
    }

    [Benchmark(Baseline = true)]
    public int InOrder()
    {
        int id = _id++;
        int length = 0;
        for (int i = 0; i < _slices.Length; i++) length += Feed(id, _slices[i]);
        return length;
    }

    [Benchmark]
    public int Reversed()
    {
        int id = _id++;
        int length = 0;
        for (int i = _slices.Length - 1; i >= 0; i--) length += Feed(id, _slices[i]);
        return length;
    }

    private int Feed(int id, FragmentSlice s)
    {
        ReassemblyResult r = _reassembler.Add(id, s.Offset, s.More, _payload.AsSpan(s.Offset, s.Length), _header, Instant.Zero);
        return r.IsComplete ? r.Datagram.Length : 0;
    }
}

using BenchmarkDotNet.Attributes;
using Stack.Link.Wire;
using Stack.Tcp.Wire;

namespace Stack.Bench;

/// <summary>A full-sized data segment with timestamps (the common case in bulk transfer): parse it, and build one in place.</summary>
[MemoryDiagnoser]
public class TcpWireBench
{
    private const int PayloadLength = 1460;
    private static readonly Ipv4Address Source = new(0xC000_0201);
    private static readonly Ipv4Address Destination = new(0xC633_6402);

    private readonly TcpRepr _repr = new(40000, 443, 1_000_000, 2_000_000, TcpFlags.Psh | TcpFlags.Ack, 502,
        new TcpOptions { HasTimestamps = true, TsVal = 123456, TsEcr = 654321 });

    private byte[] _segment = [];
    private byte[] _frame = [];
    private ulong _pseudo;

    [GlobalSetup]
    public void Setup()
    {
        var payload = new byte[PayloadLength];
        new Random(42).NextBytes(payload);
        _segment = new byte[_repr.HeaderLength + PayloadLength];
        _pseudo = InternetChecksum.PseudoHeader(Source, Destination, 6, _segment.Length);
        _repr.Write(_segment, payload, _pseudo);
        _frame = _segment.ToArray();
    }

    [Benchmark]
    public uint Parse()
    {
        if (!TcpHeader.TryParse(_segment, _pseudo, out var h, out _))
            throw new InvalidOperationException("The benchmark segment does not parse.");
        var options = h.ParseOptions();
        return h.SequenceNumber + options.TsVal + (uint)h.Payload.Length;
    }

    [Benchmark]
    public int BuildHeaderInPlace() => _repr.WriteHeaderInPlace(_frame, PayloadLength, _pseudo);
}

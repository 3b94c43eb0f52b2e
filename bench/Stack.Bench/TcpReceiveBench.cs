using BenchmarkDotNet.Attributes;
using Stack.Tcp;
using Stack.Tcp.Wire;

namespace Stack.Bench;

/// <summary>
/// The in-order receive path: one full-sized data segment (1448 bytes and timestamps, 1514-byte frame) into an
/// ESTABLISHED connection through <c>IpHost.OnFrame</c>, and the application reading it out so the window stays
/// open. Included: Ethernet, IPv4 and TCP parsing with both checksums over the whole segment, demultiplexing,
/// the receive state machine, the copy into and out of the receive buffer, and our ACK (built, checksummed, handed
/// to a transmitter that drops it) — every second segment with delayed ACKs, every segment with QuickAck.
/// Not included: a device, the event loop, timers (the clock stands still, so the 40 ms delayed-ACK timer never
/// fires), and building the frame: it is made once and only its sequence number and checksum are patched.
/// </summary>
[MemoryDiagnoser]
public class TcpReceiveBench
{
    private const int PayloadLength = 1448;

    private TcpBenchHost _host = null!;
    private TcpConnection _connection = null!;
    private byte[] _frame = [];
    private readonly byte[] _sink = new byte[PayloadLength];
    private uint _seq;

    [Params(false, true)]
    public bool QuickAck { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _host = new TcpBenchHost();
        (_connection, uint iss, uint ourTsVal) = _host.Accept(TcpConfig.Default with { QuickAck = QuickAck }, peerWindow: 502);
        var payload = new byte[PayloadLength];
        new Random(42).NextBytes(payload);
        _seq = TcpBenchHost.PeerIsn + 1;
        _frame = TcpBenchHost.Frame(new TcpRepr(TcpBenchHost.PeerPort, TcpBenchHost.OurPort, _seq, iss + 1,
            TcpFlags.Psh | TcpFlags.Ack, 502, TcpBenchHost.Timestamps(ourTsVal)), payload);

        // Check that the loop measures what it claims: every segment taken, ACKs at the expected rate.
        long framesBefore = _host.FramesSent;
        for (int i = 0; i < 64; i++)
        {
            if (Segment() != PayloadLength) throw new InvalidOperationException("A segment was not delivered to the application.");
        }
        long acks = _host.FramesSent - framesBefore;
        if (acks != (QuickAck ? 64 : 32)) throw new InvalidOperationException($"64 segments drew {acks} ACKs.");
        Check();
    }

    [GlobalCleanup]
    public void Check()
    {
        _host.CheckNothingRejected(nameof(TcpReceiveBench));
        if (_connection.RcvNxt.Value != _seq || _connection.State != TcpState.Established)
        {
            throw new InvalidOperationException($"RCV.NXT is {_connection.RcvNxt.Value}, expected {_seq}: segments were lost.");
        }
    }

    [Benchmark]
    public int Segment()
    {
        TcpBenchHost.Patch(_frame, TcpHeader.SequenceNumberOffset, _seq);
        _seq += PayloadLength;
        _host.Host.OnFrame(_frame, _host.Now);
        return _connection.Receive(_sink, _host.Now);
    }
}

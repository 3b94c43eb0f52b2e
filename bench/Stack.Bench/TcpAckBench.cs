using BenchmarkDotNet.Attributes;
using Stack.Tcp;
using Stack.Tcp.Wire;

namespace Stack.Bench;

/// <summary>
/// ACK processing at a bulk sender in steady state: the peer's window (64 KiB) holds 45 full segments in flight,
/// the send buffer stays full, and each ACK (a 66-byte frame with timestamps, through <c>IpHost.OnFrame</c>)
/// moves SND.UNA so that one new 1448-byte segment goes out; the application then refills the buffer by what was
/// acknowledged. Included: parsing and checksums, the ACK state machine (RTT sample from the timestamp, window
/// update, congestion control — CUBIC, the default), building and checksumming the data segment, and the
/// application's write. Not included: a device, the event loop, timers (the clock stands still), building the
/// ACK frames (made once; only acknowledgment number, SACK edges and checksum are patched).
/// </summary>
[MemoryDiagnoser]
public class TcpAckBench
{
    private const ushort PeerWindow = 512; // × 2^7 = 64 KiB

    // Offsets in the TCP header of the SACK ACK's one block, after NOP NOP TS (12 bytes) and NOP NOP SACK kind/length.
    private const int SackLeftOffset = TcpHeader.MinLength + 12 + 4;
    private const int SackRightOffset = SackLeftOffset + 4;

    private TcpBenchHost _host = null!;
    private TcpConnection _connection = null!;
    private byte[] _ack = [];
    private byte[] _sackAck = [];
    private byte[] _chunk = [];
    private int _mss;
    private uint _una;

    [GlobalSetup]
    public void Setup()
    {
        _host = new TcpBenchHost();
        (_connection, uint iss, uint ourTsVal) = _host.Accept(TcpConfig.Default, PeerWindow);
        _mss = _connection.EffectiveMss;
        _una = iss + 1;
        _chunk = new byte[2 * _mss];
        new Random(42).NextBytes(_chunk);
        var fill = new byte[64 * 1024];
        while (_connection.Send(fill, _host.Now) > 0) { }

        var options = TcpBenchHost.Timestamps(ourTsVal);
        _ack = TcpBenchHost.Frame(new TcpRepr(TcpBenchHost.PeerPort, TcpBenchHost.OurPort, TcpBenchHost.PeerIsn + 1,
            _una, TcpFlags.Ack, PeerWindow, options), []);
        options.AddSackBlock(_una, _una);
        _sackAck = TcpBenchHost.Frame(new TcpRepr(TcpBenchHost.PeerPort, TcpBenchHost.OurPort, TcpBenchHost.PeerIsn + 1,
            _una, TcpFlags.Ack, PeerWindow, options), []);

        // Slow start opens the congestion window past the peer's; from then on each ACK releases one segment.
        for (int i = 0; i < 2000; i++) Ack();
        long framesBefore = _host.FramesSent;
        for (int i = 0; i < 64; i++) Ack();
        CheckSteady("Ack", _host.FramesSent - framesBefore, 64);
        framesBefore = _host.FramesSent;
        for (int i = 0; i < 32; i++) ReorderedWithSack();
        CheckSteady("ReorderedWithSack", _host.FramesSent - framesBefore, 64);
        var sack = TcpBenchHost.Parse(_sackAck).Options.GetSackBlock(0);
        if (sack.Right - sack.Left != _mss) throw new InvalidOperationException("The SACK block is not where the benchmark patches it.");
        TcpBenchHost.Parse(_ack);
    }

    [GlobalCleanup]
    public void Cleanup() => CheckSteady(nameof(Cleanup), 0, 0);

    /// <summary>One ACK of one MSS.</summary>
    [Benchmark]
    public int Ack()
    {
        _una += (uint)_mss;
        TcpBenchHost.Patch(_ack, TcpHeader.AcknowledgmentNumberOffset, _una);
        _host.Host.OnFrame(_ack, _host.Now);
        return _connection.Send(_chunk.AsSpan(0, _mss), _host.Now);
    }

    /// <summary>
    /// Segment k+1 overtook segment k: a duplicate ACK SACKs k+1 (scoreboard add, duplicate count, the loss
    /// test: one segment SACKed is not a loss), then k arrives and one ACK covers both (scoreboard cleared), and
    /// two segments go out. Per ACK, averaged over the pair.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 2)]
    public int ReorderedWithSack()
    {
        TcpBenchHost.Patch(_sackAck, TcpHeader.AcknowledgmentNumberOffset, _una);
        TcpBenchHost.Patch(_sackAck, SackLeftOffset, _una + (uint)_mss);
        TcpBenchHost.Patch(_sackAck, SackRightOffset, _una + 2 * (uint)_mss);
        _host.Host.OnFrame(_sackAck, _host.Now);
        _una += 2 * (uint)_mss;
        TcpBenchHost.Patch(_ack, TcpHeader.AcknowledgmentNumberOffset, _una);
        _host.Host.OnFrame(_ack, _host.Now);
        return _connection.Send(_chunk, _host.Now);
    }

    /// <summary>Every ACK taken, no recovery or retransmission, the send buffer full, one segment out per MSS acknowledged.</summary>
    private void CheckSteady(string what, long framesSent, long expected)
    {
        _host.CheckNothingRejected(what);
        var stats = _host.Tcp.Statistics;
        if (_connection.SndUna.Value != _una || _connection.InFastRecovery || stats.Retransmissions != 0
            || stats.FastRetransmits != 0 || _connection.Unacknowledged != TcpConfig.Default.SendBufferSize || framesSent != expected)
        {
            throw new InvalidOperationException($"{what}: not in steady state (SND.UNA {_connection.SndUna.Value}, expected {_una}; " +
                $"{framesSent} segments sent for {expected}; {_connection.Unacknowledged} bytes buffered; " +
                $"{stats.Retransmissions} retransmissions).");
        }
    }
}

using Stack.Tcp;

namespace Stack.Tests.Tcp;

/// <summary>The counters' snapshot that `stack serve` prints at shutdown as `tcp.NAME=VALUE` (bench/loss-bench.sh reads it).</summary>
public sealed class TcpStatisticsTests
{
    [Fact]
    public void Snapshot_names_every_counter_in_declaration_order_with_its_value()
    {
        var statistics = new TcpStatistics { SegmentsReceived = 7, RetransmissionTimeouts = 3, OutOfWindow = 5, Faulted = 1 };

        var snapshot = statistics.Snapshot();

        Assert.Equal(typeof(TcpStatistics).GetFields().Length, snapshot.Count);
        Assert.Equal(("SegmentsReceived", 7L), snapshot[0]);
        Assert.Equal(("SegmentsSent", 0L), snapshot[1]);
        Assert.Contains(("RetransmissionTimeouts", 3L), snapshot);
        int failed = snapshot.ToList().IndexOf(("Failed", 0L));
        Assert.Equal(("Faulted", 1L), snapshot[failed + 1]); // Next to Failed, its kin.
        Assert.Equal(("OutOfWindow", 5L), snapshot[^5]);
        Assert.Equal(("IcmpTooBigIgnored", 0L), snapshot[^2]);
        Assert.Contains(("AckSkippedSeq", 0L), snapshot); // Linux's TCPACKSkipped* names, less the TCP prefix.
        Assert.Contains(("ResetsRateLimited", 0L), snapshot);
    }
}

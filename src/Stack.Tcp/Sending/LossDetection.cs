using Stack.Link.Time;

namespace Stack.Tcp.Sending;

/// <summary>Which rule decides that a segment is lost (<see cref="TcpConfig.LossDetection"/>; Linux's tcp_recovery sysctl).</summary>
public enum LossDetectionKind
{
    /// <summary>RFC 8985 RACK: by time, with a reordering window (Linux's default since 4.18).</summary>
    Rack,

    /// <summary>RFC 6675 IsLost: more than DupThresh − 1 segments SACKed above a hole (the classic rule).</summary>
    DupThresh,
}

/// <summary>What loss detection sees of the connection when an ACK or its timer comes.</summary>
/// <param name="Segments">The records, already updated by the ACK.</param>
/// <param name="InRecovery">Fast recovery or loss recovery after a timeout is on.</param>
/// <param name="Mss">The sender MSS.</param>
/// <param name="Srtt">The smoothed RTT, if measured.</param>
/// <param name="DupAcks">Duplicate ACKs in a row (for a connection without SACK).</param>
/// <param name="UnaAdvanced">This ACK moved SND.UNA.</param>
public readonly record struct LossContext(SentSegments Segments, bool InRecovery, int Mss, TimeSpan? Srtt, int DupAcks,
    bool UnaAdvanced);

/// <summary>
/// Decides which segments in flight are lost and marks them in <see cref="SentSegments"/>; the connection then
/// resends what is marked and runs the congestion response. Sits beside <see cref="Congestion.ICongestionControl"/>
/// so that RACK and the classic rules are choices.
/// </summary>
public interface ILossDetection
{
    /// <summary>The reorder timer (RFC 8985 §6.3): when to look again, or <see cref="Instant.Never"/>.</summary>
    Instant ReorderDeadline { get; }

    /// <summary>An ACK was taken into the records; returns the bytes it made lost.</summary>
    int OnAck(in AckSample sample, Instant? echoedSendTime, in LossContext context, Instant now);

    /// <summary>The reorder timer fired; returns the bytes it made lost.</summary>
    int OnReorderTimeout(in LossContext context, Instant now);

    /// <summary>An ACK carried a D-SACK (RFC 2883): the network duplicated or reordered, or we resent needlessly.</summary>
    void OnDsack(SeqNum sndUna, SeqNum sndNxt);

    /// <summary>A recovery episode ended.</summary>
    void OnRecoveryEnd();

    /// <summary>A retransmission proved needless: what looked like loss was reordering.</summary>
    void OnSpuriousRetransmission();

    /// <summary>An RTT sample from any source.</summary>
    void OnRttSample(TimeSpan rtt, Instant now);

    public static ILossDetection Create(LossDetectionKind kind, bool sack) => !sack
        ? new RenoLossDetection()
        : kind switch
        {
            LossDetectionKind.Rack => new RackLossDetection(),
            LossDetectionKind.DupThresh => new DupThreshLossDetection(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a loss detection the stack has."),
        };
}

/// <summary>RFC 8985 RACK for a SACK connection; TLP is the connection's (it sends).</summary>
public sealed class RackLossDetection : ILossDetection
{
    public const int DupThresh = 3;

    public Rack Rack { get; } = new();

    public Instant ReorderDeadline { get; private set; } = Instant.Never;

    /// <summary>Back to the state of a new instance (RACK included), for its connection to reuse; returns itself.</summary>
    public RackLossDetection Reset()
    {
        Rack.Reset();
        ReorderDeadline = Instant.Never;
        return this;
    }

    public int OnAck(in AckSample sample, Instant? echoedSendTime, in LossContext context, Instant now)
    {
        Rack.Update(sample, echoedSendTime, now);
        return Detect(context, now);
    }

    public int OnReorderTimeout(in LossContext context, Instant now) => Detect(context, now);

    public void OnDsack(SeqNum sndUna, SeqNum sndNxt) => Rack.OnDsack(sndUna, sndNxt);

    public void OnRecoveryEnd() => Rack.OnRecoveryEnd();

    public void OnSpuriousRetransmission() => Rack.OnReorderingSeen();

    public void OnRttSample(TimeSpan rtt, Instant now) => Rack.OnRttSample(rtt, now);

    private int Detect(in LossContext context, Instant now)
    {
        int sackedSegments = context.Segments.SackedBytes / Math.Max(1, context.Mss);
        TimeSpan reoWnd = Rack.ReorderWindow(context.InRecovery, sackedSegments, DupThresh, context.Srtt);
        Instant deadline = Rack.DetectLoss(context.Segments, reoWnd, now, out int lost);
        // Linux arms the reorder timer 2 ms (TCP_TIMEOUT_MIN_US) past the deadline, as it does the probe.
        ReorderDeadline = deadline == Instant.Never ? deadline : deadline + TimeSpan.FromMilliseconds(2);
        return lost;
    }
}

/// <summary>
/// RFC 6675 §4 IsLost for a SACK connection: a segment is lost once more than DupThresh − 1 segments' worth of
/// data above it is SACKed. No timer: what it cannot call lost waits for the retransmission timer.
/// </summary>
public sealed class DupThreshLossDetection : ILossDetection
{
    public const int DupThresh = 3;

    public Instant ReorderDeadline => Instant.Never;

    public int OnAck(in AckSample sample, Instant? echoedSendTime, in LossContext context, Instant now) => Detect(context);

    public int OnReorderTimeout(in LossContext context, Instant now) => 0;

    public void OnDsack(SeqNum sndUna, SeqNum sndNxt)
    {
    }

    public void OnRecoveryEnd()
    {
    }

    public void OnSpuriousRetransmission()
    {
    }

    public void OnRttSample(TimeSpan rtt, Instant now)
    {
    }

    private static int Detect(in LossContext context)
    {
        SentSegments segments = context.Segments;
        int threshold = (DupThresh - 1) * context.Mss;
        int sackedAbove = 0;
        int lost = 0;
        for (int i = segments.Count - 1; i >= 0; i--)
        {
            ref readonly SentSegment s = ref segments[i];
            if (s.IsSacked)
            {
                sackedAbove += s.Length;
            }
            else if (sackedAbove > threshold && !s.IsLost)
            {
                lost += s.Length;
                segments.MarkLost(i);
            }
        }
        return lost;
    }
}

/// <summary>
/// A connection without SACK (RFC 5681 §3.2, RFC 6582 NewReno): after DupThresh duplicate ACKs the segment at
/// SND.UNA is lost, and in recovery each partial ACK makes the next one lost (Linux tcp_newreno_mark_lost).
/// </summary>
public sealed class RenoLossDetection : ILossDetection
{
    public const int DupThresh = 3;

    public Instant ReorderDeadline => Instant.Never;

    public int OnAck(in AckSample sample, Instant? echoedSendTime, in LossContext context, Instant now)
    {
        bool due = context.InRecovery ? context.UnaAdvanced : context.DupAcks >= DupThresh;
        if (!due || context.Segments.IsEmpty)
        {
            return 0;
        }
        SentSegments segments = context.Segments;
        if (segments[0].IsLost)
        {
            return 0;
        }
        if (segments[0].Length > context.Mss)
        {
            segments.SplitAt(segments.Start + context.Mss);
        }
        segments.MarkLost(0);
        return segments[0].Length;
    }

    public int OnReorderTimeout(in LossContext context, Instant now) => 0;

    public void OnDsack(SeqNum sndUna, SeqNum sndNxt)
    {
    }

    public void OnRecoveryEnd()
    {
    }

    public void OnSpuriousRetransmission()
    {
    }

    public void OnRttSample(TimeSpan rtt, Instant now)
    {
    }
}

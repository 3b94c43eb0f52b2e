using Stack.Tcp;
using Stack.Tcp.Wire;

namespace Stack.Apps.Plots;

/// <summary>A segment of the data sender: where it sits in sequence space (relative), and what kind of mark it gets.</summary>
internal readonly record struct SequenceMark(long Microseconds, long Seq, int Length, SequenceMarkKind Kind, bool Retransmission);

internal enum SequenceMarkKind
{
    Data,
    Syn,
    Fin,
    Rst,
}

/// <summary>A value of a step line (the ACK line, the window line) from this time on.</summary>
internal readonly record struct Step(long Microseconds, long Value);

/// <summary>A SACK block (RFC 2018) of one of the receiver's ACKs, in relative sequence numbers.</summary>
internal readonly record struct SackMark(long Microseconds, long Left, long Right);

/// <summary>A duplicate ACK (RFC 5681 §2): the <see cref="Count"/>th in a row acknowledging <see cref="Ack"/>.</summary>
internal readonly record struct DupAckMark(long Microseconds, long Ack, int Count);

/// <summary>A state the data sender entered, inferred from the segments seen (Linux's names, dashed as ss prints them).</summary>
internal readonly record struct StateMark(long Microseconds, string State);

/// <summary>
/// One direction of a connection in a capture, as a time-sequence graph shows it (tcptrace's, from Shepard's
/// xplot): the data sender's segments by sequence number, the receiver's cumulative ACK, its advertised window's
/// right edge and its SACK blocks, duplicate ACKs, and the sender's state changes. Sequence numbers count from the
/// sender's ISN (from the first sequence number seen when the SYN is not in the capture).
/// </summary>
/// <remarks>
/// A retransmission is a segment that starts below the highest sequence number the sender had sent before it, as
/// tcptrace counts them; keep-alives and zero-window probes below that edge count too. Times are those of the
/// capture point: a capture on the sender shows what it sent, including what was then lost.
/// </remarks>
internal sealed class TimeSequence
{
    private TimeSequence(TcpEndPoint sender, TcpEndPoint receiver)
    {
        Sender = sender;
        Receiver = receiver;
    }

    public TcpEndPoint Sender { get; }
    public TcpEndPoint Receiver { get; }
    public long StartMicroseconds { get; private set; }
    public long EndMicroseconds { get; private set; }
    public List<SequenceMark> Segments { get; } = [];
    public List<Step> AckLine { get; } = [];
    public List<Step> WindowLine { get; } = [];
    public List<SackMark> Sacks { get; } = [];
    public List<DupAckMark> DuplicateAcks { get; } = [];
    public List<StateMark> States { get; } = [];

    /// <summary>The receiver's window shift, when both SYNs were seen (0 when either left the option out); null when not.</summary>
    public int? WindowScale { get; private set; }

    public int DataSegments => Segments.Count(s => s.Kind == SequenceMarkKind.Data);
    public int Retransmissions => Segments.Count(s => s.Kind == SequenceMarkKind.Data && s.Retransmission);
    public long PayloadBytes => Segments.Where(s => s.Kind == SequenceMarkKind.Data).Sum(s => (long)s.Length);

    /// <summary>The picture of <paramref name="sender"/>'s data in <paramref name="segments"/> (both directions, capture order).</summary>
    public static TimeSequence Build(IReadOnlyList<CapturedSegment> segments, TcpEndPoint sender, TcpEndPoint receiver)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var graph = new TimeSequence(sender, receiver);
        graph.Analyze([.. segments.OrderBy(s => s.Microseconds)]);
        return graph;
    }

    private void Analyze(List<CapturedSegment> all)
    {
        var ours = all.Where(s => s.Source == Sender && s.Destination == Receiver).ToList();
        var theirs = all.Where(s => s.Source == Receiver && s.Destination == Sender).ToList();
        if (all.Count == 0) return;
        StartMicroseconds = all[0].Microseconds;
        EndMicroseconds = all[^1].Microseconds;
        var ourSyn = ours.FirstOrDefault(s => s.Has(TcpFlags.Syn));
        var theirSyn = theirs.FirstOrDefault(s => s.Has(TcpFlags.Syn));
        // RFC 7323 §2.2: scaling is on only when both SYNs carried the option; each side's shift scales its own windows.
        if (ourSyn is not null && theirSyn is not null)
            WindowScale = ourSyn.Options.WindowScale is not null && theirSyn.Options.WindowScale is { } ws ? Math.Min((int)ws, 14) : 0;
        uint isn = ourSyn?.Seq ?? (ours.Count > 0 ? ours[0].Seq : theirs.Count > 0 ? theirs[0].Ack : 0);
        var seqs = new Unwrapper(isn);
        var acks = new Unwrapper(isn);
        var states = new StateInference(this);
        long highest = long.MinValue; // the highest sequence number sent so far, past its end
        long lastAck = long.MinValue, lastEdge = long.MinValue;
        int lastWindow = -1, dups = 0;
        bool synSeen = false;
        foreach (var s in all)
        {
            if (s.Source == Sender)
            {
                long seq = seqs.Relative(s.Seq);
                if (s.Has(TcpFlags.Syn))
                {
                    Segments.Add(new SequenceMark(s.Microseconds, seq, 1, SequenceMarkKind.Syn, synSeen));
                    synSeen = true;
                    seq++;
                }
                if (s.PayloadLength > 0)
                    Segments.Add(new SequenceMark(s.Microseconds, seq, s.PayloadLength, SequenceMarkKind.Data, seq < highest));
                if (s.Has(TcpFlags.Fin))
                    Segments.Add(new SequenceMark(s.Microseconds, seq + s.PayloadLength, 1, SequenceMarkKind.Fin, seq + s.PayloadLength < highest));
                if (s.Has(TcpFlags.Rst))
                    Segments.Add(new SequenceMark(s.Microseconds, seq, 0, SequenceMarkKind.Rst, false));
                highest = Math.Max(highest, seq + s.PayloadLength + (s.Has(TcpFlags.Fin) ? 1 : 0));
                states.Sent(s, seq);
                continue;
            }
            if (!s.Has(TcpFlags.Ack))
            {
                states.Received(s, null);
                continue;
            }
            long ack = acks.Relative(s.Ack);
            states.Received(s, ack);
            int shift = s.Has(TcpFlags.Syn) ? 0 : WindowScale ?? 0; // RFC 7323 §2.2: a SYN's window is never scaled.
            bool pure = s.PayloadLength == 0 && !s.Has(TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst);
            // RFC 5681 §2: a duplicate ACK acknowledges what the last did, with data outstanding, no data of its
            // own, no SYN or FIN, and the same window.
            if (pure && ack == lastAck && s.Window == lastWindow && highest > ack)
            {
                dups++;
                DuplicateAcks.Add(new DupAckMark(s.Microseconds, ack, dups));
            }
            else if (ack != lastAck)
            {
                dups = 0;
            }
            if (ack > lastAck)
            {
                AckLine.Add(new Step(s.Microseconds, ack));
                lastAck = ack;
            }
            lastWindow = s.Window;
            long edge = ack + ((long)s.Window << shift);
            if (edge != lastEdge && ack >= lastAck)
            {
                WindowLine.Add(new Step(s.Microseconds, edge));
                lastEdge = edge;
            }
            for (int i = 0; i < s.Options.SackBlockCount; i++)
            {
                var (left, right) = s.Options.GetSackBlock(i);
                Sacks.Add(new SackMark(s.Microseconds, acks.Peek(left), acks.Peek(right)));
            }
        }
    }

    /// <summary>
    /// Sequence numbers relative to the ISN, unwrapped past 2^32: each value is taken as the nearest to the last
    /// one seen (RFC 9293 §3.4 compares sequence numbers the same way).
    /// </summary>
    private sealed class Unwrapper(uint isn)
    {
        private long _last;
        private uint _lastRaw = isn;

        public long Relative(uint raw)
        {
            _last = Peek(raw);
            _lastRaw = raw;
            return _last;
        }

        public long Peek(uint raw) => _last + unchecked((int)(raw - _lastRaw));
    }

    /// <summary>
    /// The sender's states as the segments at the capture point tell them (RFC 9293 §3.3.2's diagram, with Linux's
    /// names): the sender's SYN, FIN and RST and the receiver's SYN, FIN, RST and the ACK of the sender's FIN.
    /// </summary>
    private sealed class StateInference(TimeSequence graph)
    {
        private string? _state;
        private long _finEnd = -1; // the sequence number just past the sender's FIN, once sent

        private void Enter(long micros, string state)
        {
            if (_state == state) return;
            _state = state;
            graph.States.Add(new StateMark(micros, state));
        }

        public void Sent(CapturedSegment s, long seqAfterSyn)
        {
            if (s.Has(TcpFlags.Rst))
            {
                Enter(s.Microseconds, "CLOSED");
                return;
            }
            if (s.Has(TcpFlags.Syn))
            {
                if (_state is null or "CLOSED") Enter(s.Microseconds, s.Has(TcpFlags.Ack) ? "SYN-RECV" : "SYN-SENT");
                return;
            }
            if (_state is null) Enter(s.Microseconds, "ESTABLISHED"); // opened before the capture began
            if (s.Has(TcpFlags.Fin))
            {
                if (_finEnd < 0) _finEnd = seqAfterSyn + s.PayloadLength + 1;
                if (_state == "ESTABLISHED") Enter(s.Microseconds, "FIN-WAIT-1");
                else if (_state == "CLOSE-WAIT") Enter(s.Microseconds, "LAST-ACK");
            }
        }

        public void Received(CapturedSegment s, long? ack)
        {
            long t = s.Microseconds;
            if (s.Has(TcpFlags.Rst))
            {
                if (_state is not null) Enter(t, "CLOSED");
                return;
            }
            bool finAcked = _finEnd >= 0 && ack >= _finEnd;
            if (s.Has(TcpFlags.Syn))
            {
                // Linux's tcp_rcv_synsent_state_process: a SYN-ACK moves SYN-SENT straight to ESTABLISHED.
                if (_state == "SYN-SENT" && s.Has(TcpFlags.Ack)) Enter(t, "ESTABLISHED");
                return;
            }
            if (_state is null)
            {
                Enter(t, "ESTABLISHED");
            }
            if (_state == "SYN-RECV" && ack is not null) Enter(t, "ESTABLISHED");
            if (_state == "FIN-WAIT-1" && finAcked && !s.Has(TcpFlags.Fin)) Enter(t, "FIN-WAIT-2");
            if (s.Has(TcpFlags.Fin))
            {
                switch (_state)
                {
                    case "ESTABLISHED": Enter(t, "CLOSE-WAIT"); break;
                    case "FIN-WAIT-1": Enter(t, finAcked ? "TIME-WAIT" : "CLOSING"); break;
                    case "FIN-WAIT-2": Enter(t, "TIME-WAIT"); break;
                }
            }
            else if (finAcked)
            {
                if (_state == "CLOSING") Enter(t, "TIME-WAIT");
                else if (_state == "LAST-ACK") Enter(t, "CLOSED");
            }
        }
    }
}

using Stack.Link.Time;
using Stack.Tcp.Buffers;
using Stack.Tcp.Sending;

namespace Stack.Tcp;

// The send buffer as the application sees it, accounted as Linux accounts it. The bytes live in the SendBuffer
// ring; what write() takes, and when the connection counts as writable, follows Linux's sk_wmem_queued, which
// counts skbs: each holds up to the size goal of a write's bytes (tcp_sendmsg_locked) and costs its payload plus
// an empty skb's truesize (TcpConfig.SendBufferSkbOverhead). We keep the skbs' ends, not skbs:
// - a write first fills the write queue's tail skb (unsent, not closed by MSG_EOR or the fragment limit) up to the
//   size goal, without a memory check; a new skb is started only while sk_stream_memory_free holds: memory queued
//   below sk_sndbuf and unsent bytes below TCP_NOTSENT_LOWAT (tcp_stream_memory_free). So a write can take more
//   than the buffer's size, and one on a full buffer takes nothing;
// - an skb that a write fills while more of the write remains is pushed at once if it is the first unsent one
//   (tcp_push_one), or with PSH once the write has run half the largest window past the last push (forced_push);
// - sending splits an skb where the windows or TSO sizing cut it (tso_fragment), a resend where it resends an MSS
//   (tcp_fragment): each part is an skb, with its own overhead; an ACK frees the skbs it covers whole;
// - a blocked writer, POLLOUT and EPOLLOUT wake only when a third of the buffer is free (sk_stream_is_writeable:
//   free space at least half of what is queued) and unsent bytes are below half of TCP_NOTSENT_LOWAT;
// - unless SO_SNDBUF set it (SOCK_SNDBUF_LOCK), sk_sndbuf grows with cwnd once connected and when an ACK frees
//   memory a writer waited for (tcp_sndbuf_expand), up to tcp_wmem[2] (TcpConfig.SendBufferMax).
// The ring is sized for the most that accounting lets in (see RingCapacity); a full ring also stops a write.
// SACK's skb shifting and merging, and the memory of SYN data, are not modelled.
public sealed partial class TcpConnection
{
    private const int MaxTcpHeader = 320; // Linux's MAX_TCP_HEADER on x86-64 (L1_CACHE_ALIGN(128 + MAX_HEADER)).
    private const int SkbSharedInfo = 320; // SKB_DATA_ALIGN(sizeof(struct skb_shared_info)).
    private const int SkbStruct = 256; // SKB_DATA_ALIGN(sizeof(struct sk_buff)).

    private PushMarks _skbEnds; // Where the skbs of Linux's send queue end, from SND.UNA's on.
    private SeqNum _skbTailStart; // Where the last of them starts.
    private SeqNum? _pushedSeq; // Linux's pushed_seq: the write sequence of the last push mark (the first write's start before).
    private int _sndBuf; // Linux's sk_sndbuf.
    private bool _sendNoSpace; // Linux's SOCK_NOSPACE: a write found the buffer full and waits for room.
    private bool _sendSpaceFreed; // An ACK freed memory: tcp_check_space is due once output is done.

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetSendMemory(TcpConfig config)
    {
        _skbEnds.Clear(); // Keeps its ring for the next life.
        (_skbTailStart, _pushedSeq, _sndBuf) = (default, null, config.SendBufferSize);
        (_sendNoSpace, _sendSpaceFreed) = (false, false);
    }

    /// <summary>Linux's sk_sndbuf now: <see cref="TcpConfig.SendBufferSize"/>, grown with cwnd unless locked.</summary>
    public int SendBufferSize => _sndBuf;

    /// <summary>Linux's sk_wmem_queued: the bytes held plus the bookkeeping of the skbs that hold them.</summary>
    public long SendBufferQueued => _send.Count + (long)TcpConfig.SendBufferSkbOverhead * _skbEnds.Count;

    /// <summary>SO_SNDBUF on a connection that exists: Linux sets sk_sndbuf at once (and locks it).</summary>
    public void SetSendBufferSize(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        _sndBuf = bytes;
        _config = _config with { SendBufferSize = bytes, SendBufferLocked = true };
    }

    /// <summary>The ring holds the most the accounting lets in: the largest sk_sndbuf and two size goals more.</summary>
    private static int RingCapacity(TcpConfig c) =>
        (int)Math.Min(SendBuffer.MaxCapacity, (long)Math.Max(c.SendBufferSize, c.SendBufferLocked ? 0 : c.SendBufferMax) + 2 * GsoMaxSize);

    /// <summary>Linux sk_stream_memory_free (<paramref name="wake"/> 0) and its wake-up form (1).</summary>
    private bool SendMemoryFree(int wake) => SendBufferQueued < _sndBuf && ((long)NotSent << wake) < NotSentLowat;

    /// <summary>Linux sk_stream_is_writeable: a third of the buffer free and the TCP_NOTSENT_LOWAT wake test.</summary>
    private bool SendSpaceToWake => _sndBuf - SendBufferQueued >= SendBufferQueued >> 1 && SendMemoryFree(1);

    /// <summary>What a write may still add to the write queue's tail skb without a memory check (0: none).</summary>
    private int TailSkbRoom(int goal)
    {
        SeqNum end = WriteSeq;
        if (_skbEnds.Count == 0 || _skbTailStart < _snd.Max || IsHardSkbEnd(end) || _plannedSkbEnds?.Contains(end) == true)
        {
            return 0;
        }
        return Math.Max(0, goal - (end - _skbTailStart));
    }

    /// <summary>
    /// Linux tcp_sendmsg_locked's copy loop: takes what the accounting allows of <paramref name="data"/> into the
    /// ring, skb by skb, pushing full skbs while the write goes on. Returns the bytes taken; their push points are
    /// recorded (RecordWrite) as one write.
    /// </summary>
    private int WriteSkbs(ReadOnlySpan<byte> data, Instant now)
    {
        int taken = 0;
        SeqNum pieceStart = WriteSeq;
        bool queueWasEmpty = NotSentBytes == 0;
        _pushedSeq ??= pieceStart;
        while (taken < data.Length)
        {
            int goal = SizeGoal();
            int room = TailSkbRoom(goal);
            bool fresh = room == 0;
            if (fresh)
            {
                if (!SendMemoryFree(0))
                {
                    _sendNoSpace = true;
                    break;
                }
                room = goal;
            }
            SeqNum at = WriteSeq;
            if (_plannedSkbEnds is { } plannedEnds)
            {
                foreach (SeqNum planned in plannedEnds)
                {
                    if (planned > at)
                    {
                        room = Math.Min(room, planned - at); // The fragment limit closes the skb there.
                        break;
                    }
                }
            }
            int n = _send.Write(data.Slice(taken, Math.Min(room, data.Length - taken)));
            if (n == 0)
            {
                _sendNoSpace = true;
                break;
            }
            if (fresh)
            {
                _skbTailStart = at;
            }
            else
            {
                _skbEnds.RemoveLast();
            }
            _skbEnds.Add(at + n);
            taken += n;
            if (n == room && taken < data.Length && (_plannedSkbEnds?.Count ?? 0) == 0)
            {
                PushFullSkb(ref pieceStart, now);
            }
        }
        if (taken > 0 && queueWasEmpty)
        {
            ChronoStart(Chrono.Busy, now); // Linux tcp_add_write_queue_tail: the first skb of an empty write queue.
        }
        bool marked = _writeEnds.Count > 0 && _writeEnds.Last == WriteSeq; // A forced push ended the write.
        if (taken > 0 && (WriteSeq > pieceStart || (_openWriteEnd == WriteSeq && !marked)))
        {
            RecordWrite(pieceStart, WriteSeq - pieceStart, final: true);
            _pushedSeq = WriteSeq; // tcp_push marks the write's end.
        }
        else if (taken > 0)
        {
            _openWriteEnd = null;
        }
        return taken;
    }

    /// <summary>
    /// A write filled the tail skb and goes on: Linux sends it now if it is the first unsent skb (tcp_push_one),
    /// or marks PSH on it and sends all that waits once the write ran half the largest window past the last push
    /// (forced_push).
    /// </summary>
    private void PushFullSkb(ref SeqNum pieceStart, Instant now)
    {
        bool forced = WriteSeq - (_pushedSeq ?? WriteSeq) > _snd.MaxWnd / 2;
        if (!forced && _skbTailStart > _snd.Nxt)
        {
            return;
        }
        RecordWrite(pieceStart, WriteSeq - pieceStart, final: forced);
        if (forced)
        {
            _pushedSeq = WriteSeq;
            _openWriteEnd = WriteSeq; // The write goes on from its mark: a later part must not take the mark back.
        }
        pieceStart = WriteSeq;
        RestartAfterIdle(now);
        Output(now);
    }

    /// <summary>Sending or resending up to <paramref name="seq"/> splits the skb that holds it there (tso_fragment, tcp_fragment).</summary>
    private void SplitSkbAt(SeqNum seq)
    {
        if (seq <= _snd.BufStart || seq >= WriteSeq || _skbEnds.Count == 0)
        {
            return;
        }
        _skbEnds.Insert(seq);
        if (seq > _skbTailStart)
        {
            _skbTailStart = seq;
        }
    }

    /// <summary>
    /// Linux tcp_sndbuf_expand: room for two congestion windows (three under BBR) of worst-case skbs (one per
    /// MSS, in a power-of-two allocation), at least the initial window, at most tcp_wmem[2]; never when SO_SNDBUF
    /// set the size.
    /// </summary>
    private void ExpandSendBuffer()
    {
        if (_config.SendBufferLocked || _cc is null)
        {
            return;
        }
        int mss = Math.Max(Math.Min(_opt.PeerMss, _config.MaxSegment ?? int.MaxValue), _mss);
        long perMss = (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(mss + MaxTcpHeader + SkbSharedInfo)) + SkbStruct;
        long segments = Math.Max(10, _cc.Cwnd / Math.Max(1, _mss)); // TCP_INIT_CWND; reordering + 1 is less.
        long sndmem = (_rateBased is not null ? 3 : 2) * segments * perMss;
        if (_sndBuf < sndmem)
        {
            _sndBuf = (int)Math.Min(sndmem, _config.SendBufferMax);
        }
    }

    /// <summary>
    /// Linux tcp_check_space / tcp_new_space, after an ACK freed memory: if a writer waits, grow the buffer when cwnd
    /// is not full (tcp_should_expand_sndbuf), then wake it once a third of the buffer is free. Linux runs it after
    /// sending what the ACK let go (tcp_data_snd_check: tcp_push_pending_frames, then tcp_check_space), so the
    /// flight that decides whether cwnd is full includes what was just sent: Leave calls it after Output.
    /// </summary>
    private void CheckSendSpace(Instant now)
    {
        if (!_sendSpaceFreed)
        {
            return;
        }
        _sendSpaceFreed = false;
        if (!_sendNoSpace)
        {
            return;
        }
        if (_cc is not null && PacketsOut < _cc.Cwnd / Math.Max(1, _mss))
        {
            ExpandSendBuffer();
        }
        if (SendSpaceToWake)
        {
            _sendNoSpace = false;
            _pending |= TcpEvents.Writable;
            ChronoStop(Chrono.SndbufLimited, now);
        }
    }
}

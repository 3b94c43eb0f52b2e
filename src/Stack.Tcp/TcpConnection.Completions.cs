using Stack.Link.Time;
using Stack.Tcp.Completions;

namespace Stack.Tcp;

/// <summary>
/// The error queue: MSG_ZEROCOPY completions and SO_TIMESTAMPING transmit timestamps, queued as the data they
/// follow is sent and acknowledged (see <see cref="Completions.ErrorQueue"/>). The socket layer brackets a
/// zero-copy write with <see cref="BeginZeroCopyWrite"/> / <see cref="EndZeroCopyWrite"/>, calls
/// <see cref="OnWriteCompleted"/> after every write call that took bytes, and reads the queue.
/// </summary>
public sealed partial class TcpConnection
{
    private ErrorQueue? _errorQueueStore; // Made when first read or fed: most connections never queue an entry.
    // Made by the first MSG_ZEROCOPY write or SO_TIMESTAMPING call: few connections use either.
    private ZeroCopySends? _zeroCopy;
    private TxTimestamps? _txTimestamps;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetCompletions()
    {
        // Dropped, not cleared: a connection that used one is rare, and its next life most likely will not.
        (_errorQueueStore, _zeroCopy, _txTimestamps) = (null, null, null);
    }

    /// <summary>Completions and timestamps not yet read (Linux sk_error_queue); POLLERR while not empty.</summary>
    public ErrorQueue ErrorQueue => _errorQueueStore ??= new();

    /// <summary>Entries ever queued (0 while the queue was never made).</summary>
    private long Queued => _errorQueueStore?.Queued ?? 0;

    /// <summary>The peer's FIN has arrived (whether or not the data before it has been read).</summary>
    public bool FinReceived => _finReceived;

    /// <summary>The sequence number after the last byte written so far (Linux write_seq).</summary>
    public SeqNum WriteSeq => _snd.BufStart + _send.Count;

    /// <summary>The SO_TIMESTAMPING flags in force.</summary>
    public TimestampingFlags Timestamping => _txTimestamps?.Flags ?? TimestampingFlags.None;

    /// <summary>
    /// SO_TIMESTAMPING. False (EINVAL) for bits Linux does not know, OPT_ID_TCP without OPT_ID, and OPT_ID newly
    /// set on a connection that is closed, as Linux's sock_set_timestamping refuses them.
    /// </summary>
    public bool SetTimestamping(TimestampingFlags flags)
    {
        if ((flags & ~TimestampingFlags.All) != 0) return false;
        if ((flags & TimestampingFlags.OptIdTcp) != 0 && (flags & TimestampingFlags.OptId) == 0) return false;
        if ((flags & TimestampingFlags.OptId) != 0 && (Timestamping & TimestampingFlags.OptId) == 0
            && _state is TcpState.Closed or TcpState.Listen)
            return false;
        (_txTimestamps ??= new()).Set(flags, _snd.Una, WriteSeq);
        return true;
    }

    /// <summary>Where a zero-copy write starts: pass it to <see cref="EndZeroCopyWrite"/> when the call returns.</summary>
    public ZeroCopyWrite BeginZeroCopyWrite() => new(WriteSeq, _snd.Max);

    /// <summary>
    /// A MSG_ZEROCOPY write call returned: if it took bytes it gets the next completion id (or shares the one
    /// of the send still unsent before it); the completion is queued once the peer has acknowledged its bytes.
    /// </summary>
    public void EndZeroCopyWrite(ZeroCopyWrite begun)
    {
        long queued = Queued;
        var zeroCopy = _zeroCopy ??= new();
        zeroCopy.Add(begun.Start, WriteSeq, begun.SentBefore);
        zeroCopy.Acknowledge(_snd.Una, ErrorQueue);
        RaiseIfQueued(queued);
    }

    /// <summary>A write call that took bytes returned: its last byte is marked for SO_TIMESTAMPING.</summary>
    public void OnWriteCompleted(Instant now)
    {
        if (_txTimestamps is null) return;
        long queued = Queued;
        _txTimestamps.OnWrite(WriteSeq, _snd.Max, Math.Min(WriteSeq - _snd.BufStart, _mss), now, ErrorQueue);
        RaiseIfQueued(queued);
    }

    /// <summary>Data left, new (SendNew) or resent (Retransmit): transmit timestamps of marked bytes in it.</summary>
    private void OnNewDataSent(SeqNum seq, int length, Instant now)
    {
        if (_txTimestamps is null) return;
        long queued = Queued;
        _txTimestamps.OnSent(seq, length, now, ErrorQueue);
        MarkIfQueued(queued);
    }

    /// <summary>SND.UNA moved (AckAdvance): zero-copy sends and marked bytes it covers complete.</summary>
    private void OnSendAcknowledged(Instant now)
    {
        long queued = Queued;
        _zeroCopy?.Acknowledge(_snd.Una, ErrorQueue);
        _txTimestamps?.OnAcknowledged(_snd.Una, now, ErrorQueue);
        MarkIfQueued(queued);
    }

    /// <summary>
    /// The send buffer was dropped because the connection failed: pending zero-copy sends complete, as Linux's
    /// tcp_write_queue_purge frees their packets — unless the application has closed the socket (SOCK_DEAD: no
    /// one is left to read them).
    /// </summary>
    private void OnSendBufferPurged()
    {
        long queued = Queued;
        if (_userClosed) return;
        _zeroCopy?.Purge(ErrorQueue);
        MarkIfQueued(queued);
    }

    /// <summary>Inside an entry point: the event goes out with the others when it returns.</summary>
    private void MarkIfQueued(long queued)
    {
        if (Queued != queued) _pending |= TcpEvents.ErrorQueued;
    }

    /// <summary>From an API call outside Enter/Leave: tells <see cref="Notify"/> at once.</summary>
    private void RaiseIfQueued(long queued)
    {
        if (Queued != queued) Notify?.Invoke(this, TcpEvents.ErrorQueued);
    }
}

/// <summary>The state of the connection when a zero-copy write began (see <see cref="TcpConnection.BeginZeroCopyWrite"/>).</summary>
public readonly record struct ZeroCopyWrite(SeqNum Start, SeqNum SentBefore);

namespace Stack.Tcp.Sending;

/// <summary>
/// Proportional Rate Reduction (RFC 6937, as Linux's tcp_cwnd_reduction): during recovery cwnd is set on each
/// ACK so that what is sent follows what is delivered — ssthresh/prior_cwnd of it while the pipe is above
/// ssthresh, and with slow-start reduction bound (PRR-SSRB) back up to ssthresh once losses took the pipe below.
/// Counted in segments, as Linux counts packets, so each ACK releases whole segments.
/// </summary>
public struct Prr
{
    private int _priorCwnd;  // RecoverFS in segments: cwnd when recovery began.
    private int _delivered;  // prr_delivered
    private int _out;        // prr_out

    /// <summary>Segments sent since recovery began.</summary>
    public readonly int Sent => _out;

    /// <summary>Recovery begins with <paramref name="priorCwnd"/> bytes of window.</summary>
    public void Start(int priorCwnd, int mss)
    {
        _priorCwnd = Math.Max(1, priorCwnd / mss);
        _delivered = 0;
        _out = 0;
    }

    /// <summary>Segments sent during recovery, retransmitted or new.</summary>
    public void OnSent(int segments) => _out += segments;

    /// <summary>
    /// RFC 6937 §3 on an ACK: returns the new cwnd in bytes (the pipe plus the segments this ACK may send), or
    /// null when the ACK delivered nothing and cwnd stays.
    /// </summary>
    /// <param name="newlyDelivered">Segments this ACK newly acknowledged or SACKed.</param>
    /// <param name="newlyLost">Bytes this ACK made lost.</param>
    /// <param name="unaAdvanced">The ACK moved SND.UNA.</param>
    /// <param name="pipe">Bytes in flight now.</param>
    /// <param name="ssthresh">ssthresh, bytes.</param>
    /// <param name="mss">The sender MSS.</param>
    public int? OnAck(int newlyDelivered, int newlyLost, bool unaAdvanced, int pipe, int ssthresh, int mss)
    {
        if (newlyDelivered <= 0)
        {
            return null;
        }
        _delivered += newlyDelivered;
        int pipeSegments = (pipe + mss - 1) / mss;
        int ssthreshSegments = Math.Max(1, ssthresh / mss);
        int delta = ssthreshSegments - pipeSegments;
        int sendCount;
        if (delta < 0)
        {
            // Proportional: CEIL(prr_delivered · ssthresh / RecoverFS) − prr_out.
            long dividend = (long)ssthreshSegments * _delivered + _priorCwnd - 1;
            sendCount = (int)(dividend / _priorCwnd) - _out;
        }
        else
        {
            // Slow-start reduction bound: as many as were delivered, one more when SND.UNA moved and nothing new
            // was lost (Linux's variant of RFC 6937's SSRB), never above ssthresh.
            sendCount = Math.Max(_delivered - _out, newlyDelivered);
            if (unaAdvanced && newlyLost == 0)
            {
                sendCount++;
            }
            sendCount = Math.Min(delta, sendCount);
        }
        // The fast retransmit goes at once on entering recovery.
        sendCount = Math.Max(sendCount, _out == 0 ? 1 : 0);
        return Math.Max(pipe + sendCount * mss, mss);
    }
}

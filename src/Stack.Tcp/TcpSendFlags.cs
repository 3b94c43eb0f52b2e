namespace Stack.Tcp;

/// <summary>How <see cref="TcpConnection.Send(System.ReadOnlySpan{byte}, Stack.Link.Time.Instant, TcpSendFlags)"/> treats a write (Linux's send flags).</summary>
[Flags]
public enum TcpSendFlags
{
    None = 0,

    /// <summary>
    /// MSG_EOR: the data ends a record. Linux never puts a later byte in the same skb (TCP_SKB_CB(skb)->eor), so no
    /// segment, first sent or resent, carries bytes of both sides of the mark.
    /// </summary>
    EndOfRecord = 1,

    /// <summary>
    /// MSG_MORE: more data follows. As Linux's tcp_push, the write's own push corks (a segment shorter than the MSS
    /// waits, TCP_NODELAY or not) and its end gets no PSH; the next ACK or write sends as usual.
    /// </summary>
    More = 2,
}

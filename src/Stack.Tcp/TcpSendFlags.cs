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
}

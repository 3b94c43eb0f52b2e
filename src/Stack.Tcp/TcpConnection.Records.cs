using Stack.Tcp.Sending;

namespace Stack.Tcp;

// Record boundaries (MSG_EOR). Linux marks the skb that ends an EOR write and neither appends to it
// (tcp_sendmsg_locked), nor merges it with the next one (tcp_skb_can_collapse, tcp_retrans_try_collapse,
// tcp_mtu_probe). The stack sends from a byte buffer, so it keeps the boundaries as sequence numbers and cuts
// each new segment there; resends follow the segments first sent, which never cross one.
public sealed partial class TcpConnection
{
    private readonly PushMarks _recordEnds = new(); // Where EOR writes ended, oldest first, until acknowledged.

    /// <summary>A write with MSG_EOR ended at <paramref name="end"/>.</summary>
    private void RecordEnd(SeqNum end) => _recordEnds.Add(end);

    /// <summary>Whether the data before <paramref name="seq"/> ends a record (a later write may not join its skb).</summary>
    private bool EndsRecord(SeqNum seq) => _recordEnds.Count > 0 && _recordEnds.Last == seq;

    /// <summary>
    /// <paramref name="len"/> bytes from SND.NXT cut short at the next record end within them, if any.
    /// </summary>
    private int CutAtRecordEnd(int len) =>
        _recordEnds.Count > 0 && _recordEnds.FirstAbove(_snd.Nxt) is { } end && end - _snd.Nxt < len ? end - _snd.Nxt : len;

    private void ForgetRecordEnds(SeqNum? ackedTo)
    {
        if (ackedTo is { } una)
        {
            _recordEnds.AckTo(una);
        }
        else
        {
            _recordEnds.Clear();
        }
    }
}

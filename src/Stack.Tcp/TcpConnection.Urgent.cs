using Stack.Link.Time;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

// Urgent data as Linux receives it (tcp_check_urg, tcp_urg, tcp_recvmsg, tcp_read_sock) without SO_OOBINLINE: the
// urgent pointer names the last byte of the urgent data (Linux's default, tcp_stdurg off: RFC 9293 §3.9.1's
// pointer less one, as BSD), and that one byte is taken out of the stream. A read stops before it when it has
// copied something and steps over it otherwise; a splice (tcp_read_sock) stops at it, and returns 0 there.
public sealed partial class TcpConnection
{
    private SeqNum? _urgentMark; // Linux's urg_seq while urg_data is set: the out-of-band byte.

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetUrgent()
    {
        _urgentMark = null;
    }

    /// <summary>Where the next byte read would come from (Linux's copied_seq).</summary>
    private SeqNum ReadSeq => _rcv.Nxt - _recv.Readable;

    /// <summary>Linux tcp_check_urg: a new urgent pointer (not one read past, below RCV.NXT or older than ours) sets the mark.</summary>
    private void CheckUrgent(in TcpHeader h, SeqNum seq)
    {
        if ((h.Flags & TcpFlags.Urg) == 0)
        {
            return;
        }
        int pointer = h.UrgentPointer;
        SeqNum mark = seq + (pointer > 0 ? pointer - 1 : 0);
        if (ReadSeq > mark || mark < _rcv.Nxt || (_urgentMark is { } held && mark <= held))
        {
            return;
        }
        _urgentMark = mark;
    }

    /// <summary>
    /// Like <see cref="Receive"/>, but stops at the urgent mark without stepping over it, as Linux's
    /// tcp_read_sock under splice(): 0 at the mark while data waits beyond it.
    /// </summary>
    public int ReceiveToUrgentMark(Span<byte> buffer, Instant now) => ReceiveCore(buffer, now, stopAtMark: true);

    /// <summary>Reads what the urgent mark allows: up to it, or over its byte when the read starts there (unless asked to stop).</summary>
    private int ReadAroundUrgentMark(Span<byte> buffer, bool stopAtMark)
    {
        if (_urgentMark is not { } mark || mark - ReadSeq >= _recv.Readable)
        {
            return _recv.Read(buffer);
        }
        int before = mark - ReadSeq;
        if (before > 0)
        {
            return _recv.Read(buffer[..Math.Min(buffer.Length, before)]);
        }
        if (stopAtMark)
        {
            return 0;
        }
        Span<byte> outOfBand = stackalloc byte[1];
        _recv.Read(outOfBand); // Not SO_OOBINLINE: the byte leaves the stream (recv(MSG_OOB) is not offered).
        _urgentMark = null;
        return _recv.Read(buffer);
    }
}

namespace Stack.Tcp;

/// <summary>
/// Receive-window growth as Linux's rcv_ssthresh: the window starts at what the SYN or SYN-ACK could say
/// (tcp_select_initial_window: at most 65535) and opens towards the free buffer space as in-order data arrives
/// (tcp_grow_window), rather than jumping to the whole buffer at the first ACK.
/// </summary>
public sealed partial class TcpConnection
{
    /// <summary>Linux's rcv_ssthresh: the most the advertised window may offer for now; unlimited before the SYN.</summary>
    private int _rcvSsthresh = int.MaxValue;

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetReceiveWindow()
    {
        _rcvSsthresh = int.MaxValue;
    }

    /// <summary>Linux tcp_openreq_init_rwin / tcp_connect_init: rcv_ssthresh starts at the SYN's window.</summary>
    private void InitReceiveWindowGrowth() => _rcvSsthresh = Math.Min(_recv.Window, ushort.MaxValue);

    /// <summary>
    /// Linux tcp_event_data_recv → tcp_grow_window, for in-order segments of at least 128 bytes: rcv_ssthresh grows
    /// by two MSS (or twice the segment, if larger), up to the free space. Linux lets skbs whose truesize wastes
    /// too much memory grow it less (__tcp_grow_window); the stack's buffer has no per-segment overhead.
    /// </summary>
    private void GrowReceiveWindow(int length)
    {
        int room = _recv.Window - _rcvSsthresh;
        if (length < 128 || room <= 0)
        {
            return;
        }
        _rcvSsthresh += Math.Min(room, Math.Max(2 * AnnouncedMss, 2 * length));
    }

    /// <summary>
    /// The space the window may offer: the free space, held to rcv_ssthresh rounded up to the window-scale unit
    /// (Linux __tcp_select_window: ALIGN(free_space, 1 &lt;&lt; rcv_wscale)), never beyond the free space.
    /// </summary>
    private int WindowSpace()
    {
        int free = _recv.Window;
        if (free <= _rcvSsthresh)
        {
            return free;
        }
        long unit = 1L << _rcv.Wscale;
        return (int)Math.Min(free, (_rcvSsthresh + unit - 1) / unit * unit);
    }
}

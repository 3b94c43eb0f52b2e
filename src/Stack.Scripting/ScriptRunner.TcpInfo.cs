using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>
/// Linux's <c>struct tcp_info</c> (tcp_get_info) by its field names, read from the connection's <see cref="TcpInfo"/>
/// (the one <c>ss -i</c> reads too): getsockopt(TCP_INFO) checks the fields a script names, %{ }% blocks get them all.
/// </summary>
public sealed partial class ScriptRunner
{
    /// <summary>Every field but tcpi_state, which is the socket's (a listener's is LISTEN): <see cref="StateOf"/>.</summary>
    internal static readonly (string Name, Func<TcpInfo, long> Value)[] TcpInfoFields =
    [
        ("tcpi_ca_state", i => (long)i.CaState),
        // Linux's TCPI_OPT_TIMESTAMPS, _SACK, _WSCALE, _SYN_DATA and _TFO_CHILD bits.
        ("tcpi_options", i => i.Options),
        ("tcpi_snd_wscale", i => i.SndWscale),
        ("tcpi_rcv_wscale", i => i.RcvWscale),
        ("tcpi_rto", i => i.Rto),
        ("tcpi_snd_mss", i => i.SndMss),
        ("tcpi_unacked", i => i.Unacked),
        ("tcpi_sacked", i => i.Sacked),
        ("tcpi_lost", i => i.Lost),
        ("tcpi_retrans", i => i.Retrans),
        ("tcpi_snd_ssthresh", i => i.SndSsthresh),
        ("tcpi_snd_cwnd", i => i.SndCwnd),
        ("tcpi_total_retrans", i => i.TotalRetrans),
        ("tcpi_rtt", i => i.Rtt),
        ("tcpi_rttvar", i => i.RttVar),
        ("tcpi_backoff", i => i.Backoff),
        ("tcpi_advmss", i => i.AdvMss),
        ("tcpi_rcv_mss", i => i.RcvMss),
        ("tcpi_reordering", i => i.Reordering),
        ("tcpi_reord_seen", i => i.ReordSeen),
        ("tcpi_delivered", i => i.Delivered),
        ("tcpi_probes", i => i.Probes),
        ("tcpi_min_rtt", i => i.MinRtt),
        ("tcpi_last_data_recv", i => i.LastDataRecv),
        ("tcpi_last_data_sent", i => i.LastDataSent),
        ("tcpi_last_ack_recv", i => i.LastAckRecv),
        ("tcpi_snd_wnd", i => i.SndWnd),
        ("tcpi_bytes_acked", i => i.BytesAcked),
        ("tcpi_bytes_received", i => i.BytesReceived),
        ("tcpi_bytes_sent", i => i.BytesSent),
        ("tcpi_bytes_retrans", i => i.BytesRetrans),
        ("tcpi_data_segs_out", i => i.DataSegsOut),
        ("tcpi_data_segs_in", i => i.DataSegsIn),
        ("tcpi_dsack_dups", i => i.DsackDups),
        ("tcpi_notsent_bytes", i => i.NotsentBytes),
        ("tcpi_busy_time", i => i.BusyTime),
        ("tcpi_rwnd_limited", i => i.RwndLimited),
        ("tcpi_sndbuf_limited", i => i.SndbufLimited),
    ];

    /// <summary>The socket's connection's tcp_info now; Linux's values for a fresh socket before connect or accept.</summary>
    private TcpInfo InfoOf(ScriptSocket sock) => sock.Connection?.GetInfo(_now) ?? Stack.Tcp.TcpInfo.Unconnected;

    private static long? TcpInfoField(ScriptSocket sock, in TcpInfo info, string field)
    {
        if (field == "tcpi_state") return StateOf(sock).ToLinuxCode();
        foreach (var (name, value) in TcpInfoFields)
        {
            if (name == field) return value(info);
        }
        return null;
    }

    /// <summary>Every tcp_info field the runner gives, for a %{ }% block.</summary>
    private IEnumerable<(string Name, long Value)> AllTcpInfo(ScriptSocket sock)
    {
        var info = InfoOf(sock);
        yield return ("tcpi_state", StateOf(sock).ToLinuxCode());
        foreach (var (name, value) in TcpInfoFields) yield return (name, value(info));
    }
}

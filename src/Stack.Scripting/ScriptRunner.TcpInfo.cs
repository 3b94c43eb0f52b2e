using Stack.Link.Time;
using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>
/// The rest of Linux's <c>struct tcp_info</c> (tcp_get_info), beyond <see cref="TcpInfoFields"/>: counters and
/// times, some of which need the time of the reading (Linux reports "ms ago" for the last_* fields).
/// </summary>
public sealed partial class ScriptRunner
{
    internal static readonly (string Name, Func<TcpConnection?, Instant, long> Value)[] MoreTcpInfoFields =
    [
        ("tcpi_reordering", (c, _) => c?.Reordering ?? 3),
        ("tcpi_reord_seen", (c, _) => c?.ReorderingEvents ?? 0),
        ("tcpi_delivered", (c, _) => c?.DeliveredSegments ?? 0),
        ("tcpi_probes", (c, _) => c?.ProbesOut ?? 0),
        // Microseconds; Linux reports ~0U before the first sample.
        ("tcpi_min_rtt", (c, _) => c?.MinRtt is { } m ? Microseconds(m) : uint.MaxValue),
        // Milliseconds since, as Linux's jiffies_to_msecs(now - stamp).
        ("tcpi_last_data_recv", (c, now) => c is null ? 0 : MillisecondsSince(c.LastDataReceivedAt, now)),
        ("tcpi_last_data_sent", (c, now) => c is null ? 0 : MillisecondsSince(c.LastDataSentAt, now)),
        ("tcpi_last_ack_recv", (c, now) => c is null ? 0 : MillisecondsSince(c.LastAckReceivedAt, now)),
        ("tcpi_snd_wnd", (c, _) => c is null ? 0 : Math.Min(c.SendWindow, uint.MaxValue)),
        ("tcpi_bytes_acked", (c, _) => c?.BytesAcked ?? 0),
        ("tcpi_bytes_received", (c, _) => c?.BytesReceived ?? 0),
        ("tcpi_bytes_sent", (c, _) => c?.BytesSent ?? 0),
        ("tcpi_bytes_retrans", (c, _) => c?.BytesRetransmitted ?? 0),
        ("tcpi_data_segs_out", (c, _) => c?.DataSegmentsOut ?? 0),
        ("tcpi_data_segs_in", (c, _) => c?.DataSegmentsIn ?? 0),
        ("tcpi_dsack_dups", (c, _) => c?.DsackSegments ?? 0),
        ("tcpi_notsent_bytes", (c, _) => c?.NotSentBytes ?? 0),
        // Microseconds, as Linux's tcp_get_info_chrono_stats.
        ("tcpi_busy_time", (c, now) => c is null ? 0 : Microseconds(c.BusyTime(now))),
        ("tcpi_rwnd_limited", (c, now) => c is null ? 0 : Microseconds(c.RwndLimitedTime(now))),
        ("tcpi_sndbuf_limited", (c, now) => c is null ? 0 : Microseconds(c.SndbufLimitedTime(now))),
    ];

    private static long MillisecondsSince(Instant then, Instant now) => Math.Max(0, (now - then).Ticks / TimeSpan.TicksPerMillisecond);

    /// <summary>Every tcp_info field the runner gives, for a %{ }% block or getsockopt(TCP_INFO).</summary>
    private IEnumerable<(string Name, long Value)> AllTcpInfo(ScriptSocket sock)
    {
        foreach (var (name, value) in TcpInfoFields) yield return (name, value(sock, sock.Connection));
        foreach (var (name, value) in MoreTcpInfoFields) yield return (name, value(sock.Connection, _now));
    }
}

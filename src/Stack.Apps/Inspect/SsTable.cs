using System.Globalization;
using System.Text;
using Stack.Sockets.Control;

namespace Stack.Apps.Inspect;

/// <summary>Writes sockets in ss(8)'s columns, and with -i / -o the indented line of internals under each connection.</summary>
public static class SsTable
{
    public static void Write(IReadOnlyList<SocketEntry> rows, SsOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        bool netid = options.Tcp == options.Udp; // Both asked for, or neither: say which each row is.
        // A multi-queue stack's sockets say which shard holds them, last, where ss puts a socket's process.
        bool shard = rows.Any(s => s.Shard is not null);
        var table = new List<string[]>();
        if (!options.NoHeader)
        {
            string[] header = ["State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port"];
            table.Add([.. netid ? ["Netid"] : Array.Empty<string>(), .. header, .. shard ? ["Shard"] : Array.Empty<string>()]);
        }
        foreach (var s in rows)
        {
            string[] cells =
            [
                s.State, Num(s.RecvQ), Num(s.SendQ),
                EndPoint(s.LocalAddress, s.LocalPort, s.Protocol, options.Numeric),
                EndPoint(s.PeerAddress, s.PeerPort, s.Protocol, options.Numeric),
            ];
            table.Add([.. netid ? [s.Protocol] : Array.Empty<string>(), .. cells,
                .. shard ? [s.Shard is { } k ? Num(k) : "-"] : Array.Empty<string>()]);
        }
        int columns = table.Count == 0 ? 0 : table[0].Length;
        int recvQ = netid ? 2 : 1;
        var widths = Enumerable.Range(0, columns).Select(i => table.Max(r => r[i].Length)).ToArray();
        int rowIndex = options.NoHeader ? 0 : 1;
        for (int r = 0; r < table.Count; r++)
        {
            var line = new StringBuilder();
            for (int i = 0; i < columns; i++)
            {
                // Queues right-aligned, as ss does; the rest left-aligned.
                bool number = i == recvQ || i == recvQ + 1;
                line.Append(number ? table[r][i].PadLeft(widths[i]) : table[r][i].PadRight(widths[i]));
                if (i < columns - 1) line.Append("  ");
            }
            output.WriteLine(line.ToString().TrimEnd());
            if (r >= rowIndex && (options.Info || options.Options) && rows[r - rowIndex].Tcp is { } tcp)
                output.WriteLine("\t " + Details(tcp, options.Info, options.Options));
        }
    }

    /// <summary>ADDR:PORT as ss prints it: IPv6 in brackets, the wildcard as * and port 0 as *.</summary>
    public static string EndPoint(string address, int port, string protocol, bool numeric)
    {
        string host = address is "0.0.0.0" ? "0.0.0.0" : address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
        string p = port == 0 ? "*" : !numeric && ServiceNames.Name(protocol, port) is { } name ? name : Num(port);
        return $"{host}:{p}";
    }

    /// <summary>The line ss -i prints (tcp_show_info's order and names), and the timer ss -o prints.</summary>
    public static string Details(TcpSocketDetails t, bool info = true, bool timer = true)
    {
        ArgumentNullException.ThrowIfNull(t);
        var parts = new List<string>();
        if (timer && t.Timer is { } tm)
            parts.Add($"timer:({tm.Name},{Duration(tm.RemainingMs)},{Num(tm.Retries)})");
        if (!info || t.TimeWait) return string.Join(' ', parts); // Linux's timewait socket has no tcp_info.
        if (t.Timestamps) parts.Add("ts");
        if (t.Sack) parts.Add("sack");
        parts.Add(t.CongestionControl);
        if (t.SendWscale > 0 || t.ReceiveWscale > 0) parts.Add($"wscale:{Num(t.SendWscale)},{Num(t.ReceiveWscale)}");
        parts.Add($"rto:{Ms(t.RtoUs)}");
        if (t.Backoff > 0) parts.Add($"backoff:{Num(t.Backoff)}");
        if (t.RttUs > 0) parts.Add($"rtt:{Ms(t.RttUs)}/{Ms(t.RttVarUs)}");
        parts.Add($"mss:{Num(t.Mss)}");
        parts.Add($"pmtu:{Num(t.Pmtu)}");
        parts.Add($"rcvmss:{Num(t.RcvMss)}");
        parts.Add($"advmss:{Num(t.AdvMss)}");
        parts.Add($"cwnd:{Num(t.Cwnd)}");
        if (t.Ssthresh is { } ss) parts.Add($"ssthresh:{Num(ss)}");
        parts.Add($"bytes_sent:{Num(t.BytesSent)}");
        if (t.BytesRetrans > 0) parts.Add($"bytes_retrans:{Num(t.BytesRetrans)}");
        parts.Add($"bytes_acked:{Num(t.BytesAcked)}");
        parts.Add($"bytes_received:{Num(t.BytesReceived)}");
        parts.Add($"data_segs_out:{Num(t.DataSegsOut)}");
        parts.Add($"data_segs_in:{Num(t.DataSegsIn)}");
        if (t.RttUs > 0 && t.Cwnd > 0) parts.Add($"send {Rate(t.Cwnd * t.Mss * 8.0 * 1e6 / t.RttUs)}");
        parts.Add($"lastsnd:{Num(t.LastSendMs)}");
        parts.Add($"lastrcv:{Num(t.LastReceiveMs)}");
        parts.Add($"lastack:{Num(t.LastAckMs)}");
        if (t.PacingRateBps > 0) parts.Add($"pacing_rate {Rate(t.PacingRateBps)}");
        if (t.DeliveryRateBps > 0) parts.Add($"delivery_rate {Rate(t.DeliveryRateBps)}");
        parts.Add($"delivered:{Num(t.Delivered)}");
        if (t.DeliveryRateAppLimited) parts.Add("app_limited");
        if (t.Unacked > 0) parts.Add($"unacked:{Num(t.Unacked)}");
        if (t.Retrans > 0 || t.TotalRetrans > 0) parts.Add($"retrans:{Num(t.Retrans)}/{Num(t.TotalRetrans)}");
        if (t.Lost > 0) parts.Add($"lost:{Num(t.Lost)}");
        if (t.Sacked > 0) parts.Add($"sacked:{Num(t.Sacked)}");
        if (t.Reordering != 3) parts.Add($"reordering:{Num(t.Reordering)}");
        if (t.NotSent > 0) parts.Add($"notsent:{Num(t.NotSent)}");
        if (t.MinRttUs is { } min) parts.Add($"minrtt:{Ms(min)}");
        parts.Add($"snd_wnd:{Num(t.SendWindow)}");
        if (t.CaState != "Open") parts.Add($"ca_state:{t.CaState.ToLowerInvariant()}");
        return string.Join(' ', parts);
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Microseconds as ss prints tcp_info's times: milliseconds with up to three decimals.</summary>
    private static string Ms(long us) => (us / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Duration(double ms) => ms >= 1000
        ? (ms / 1000).ToString("0.###", CultureInfo.InvariantCulture) + "sec"
        : Math.Round(ms).ToString(CultureInfo.InvariantCulture) + "ms";

    /// <summary>Bits per second as ss's sprint_bw: bps, Kbps, Mbps, Gbps with one decimal.</summary>
    public static string Rate(double bps) => bps switch
    {
        > 1e9 => (bps / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "Gbps",
        > 1e6 => (bps / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "Mbps",
        > 1e3 => (bps / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "Kbps",
        _ => bps.ToString("0", CultureInfo.InvariantCulture) + "bps",
    };
}

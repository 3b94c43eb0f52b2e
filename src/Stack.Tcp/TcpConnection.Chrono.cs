using Stack.Link.Time;

namespace Stack.Tcp;

// Linux's sending chronographs (tcp_chrono_start, tcp_chrono_stop, tcp_chrono_set; RFC-less, reported in
// tcp_info as tcpi_busy_time, tcpi_rwnd_limited and tcpi_sndbuf_limited): how long the connection had data to
// send, and of that, how long the peer's window or our send buffer held it back. One chronograph runs at a time,
// the most telling condition winning (send-buffer-limited over window-limited over busy).
public sealed partial class TcpConnection
{
    /// <summary>Linux enum tcp_chrono, in its order of precedence.</summary>
    private enum Chrono
    {
        Unspec,
        Busy,
        RwndLimited,
        SndbufLimited,
    }

    private Chrono _chronoType;
    private Instant _chronoStart;
    private ChronoTimes _chronoStat; // Indexed by Chrono − 1; inline, so a connection carries no array for it.

    /// <summary>This file's fields as a new connection has them (called by <see cref="Open"/>).</summary>
    private void ResetChrono()
    {
        (_chronoType, _chronoStart, _chronoStat) = (Chrono.Unspec, default, default);
    }

    [System.Runtime.CompilerServices.InlineArray(3)]
    private struct ChronoTimes
    {
        private TimeSpan _first;
    }

    /// <summary>Linux tcpi_busy_time: time with data in flight or waiting to be sent, the limited times included.</summary>
    public TimeSpan BusyTime(Instant now) => ChronoTime(Chrono.Busy, now) + RwndLimitedTime(now) + SndbufLimitedTime(now);

    /// <summary>Linux tcpi_rwnd_limited: time the peer's receive window stopped a transmit.</summary>
    public TimeSpan RwndLimitedTime(Instant now) => ChronoTime(Chrono.RwndLimited, now);

    /// <summary>Linux tcpi_sndbuf_limited: time all was sent and a writer waited for send-buffer room.</summary>
    public TimeSpan SndbufLimitedTime(Instant now) => ChronoTime(Chrono.SndbufLimited, now);

    /// <summary>Linux tcp_get_info_chrono_stats: the running chronograph counts up to now.</summary>
    private TimeSpan ChronoTime(Chrono type, Instant now) =>
        _chronoStat[(int)type - 1] + (_chronoType == type ? now - _chronoStart : TimeSpan.Zero);

    /// <summary>Linux tcp_chrono_set: the running chronograph stops, <paramref name="type"/> starts.</summary>
    private void ChronoSet(Chrono type, Instant now)
    {
        if (_chronoType > Chrono.Unspec)
        {
            _chronoStat[(int)_chronoType - 1] += now - _chronoStart;
        }
        _chronoStart = now;
        _chronoType = type;
    }

    /// <summary>Linux tcp_chrono_start: a condition begins; it takes over only from a less telling one.</summary>
    private void ChronoStart(Chrono type, Instant now)
    {
        if (type > _chronoType)
        {
            ChronoSet(type, now);
        }
    }

    /// <summary>
    /// Linux tcp_chrono_stop: a condition ends. With nothing in flight or unsent no chronograph runs; else if it
    /// was the running one, busy time takes over.
    /// </summary>
    private void ChronoStop(Chrono type, Instant now)
    {
        if (_segments.Count == 0 && NotSentBytes == 0)
        {
            ChronoSet(Chrono.Unspec, now);
        }
        else if (type == _chronoType)
        {
            ChronoSet(Chrono.Busy, now);
        }
    }
}

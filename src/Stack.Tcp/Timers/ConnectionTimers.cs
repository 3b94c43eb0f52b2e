using System.Runtime.CompilerServices;
using Stack.Link.Time;

namespace Stack.Tcp.Timers;

/// <summary>The timers one connection may have running (RFC 9293 §3.8, RFC 1122 §4.2.3.6, RFC 6298).</summary>
public enum TimerKind
{
    /// <summary>Retransmit the oldest unacknowledged segment (RFC 6298 §5).</summary>
    Retransmission,

    /// <summary>Probe a zero window (RFC 9293 §3.8.6.1).</summary>
    Persist,

    /// <summary>Send an ACK that was held back (RFC 9293 §3.8.6.3, at most 500 ms; Linux 40 ms–200 ms).</summary>
    DelayedAck,

    /// <summary>Probe an idle connection (RFC 1122 §4.2.3.6, off by default, at least 2 h).</summary>
    KeepAlive,

    /// <summary>Leave TIME-WAIT after 2·MSL (RFC 9293 §3.6.1).</summary>
    TimeWait,

    /// <summary>Close an orphaned connection that waits too long in FIN-WAIT-2 (Linux TCP_LINGER2).</summary>
    FinWait2,

    /// <summary>RACK's reordering window has passed for a segment not yet known lost (RFC 8985 §6.3).</summary>
    Reorder,

    /// <summary>Send a tail loss probe (RFC 8985 §7.2).</summary>
    LossProbe,

    /// <summary>The pacer lets the next segment go (Linux's pacing timer).</summary>
    Pacing,
}

/// <summary>
/// The deadlines of one connection as plain instants: the event loop sleeps until <see cref="Next"/>, then
/// hands the connection <c>now</c>, which handles <see cref="TakeDue"/>. A mutable struct meant to live in a
/// field of the connection (not a readonly one); <c>default</c> has nothing armed. No allocation.
/// </summary>
public struct ConnectionTimers
{
    /// <summary>How many kinds the set can hold; <see cref="TimerKind"/> may grow up to this without other change.</summary>
    public const int Capacity = 16;

    /// <summary>The number of <see cref="TimerKind"/> values, read from the enum itself.</summary>
    public static readonly int KindCount = CountKinds();

    private Deadlines _deadlines;
    private ushort _armed;

    /// <summary>The earliest armed deadline, or <see cref="Instant.Never"/> when nothing is armed.</summary>
    public readonly Instant Next
    {
        get
        {
            Instant next = Instant.Never;
            for (int i = 0; i < KindCount; i++)
            {
                if ((_armed & (1 << i)) != 0 && _deadlines[i] < next)
                {
                    next = _deadlines[i];
                }
            }
            return next;
        }
    }

    /// <summary>True when any timer is armed.</summary>
    public readonly bool AnyArmed => _armed != 0;

    /// <summary>Sets the deadline of <paramref name="kind"/>, replacing any earlier one. Arming at Never cancels.</summary>
    public void Arm(TimerKind kind, Instant at)
    {
        int i = Index(kind);
        if (at == Instant.Never)
        {
            _armed &= (ushort)~(1 << i);
            return;
        }
        _deadlines[i] = at;
        _armed |= (ushort)(1 << i);
    }

    /// <summary>
    /// Arms <paramref name="kind"/> only if it is not running, as RFC 6298 §5.1 asks of the retransmission timer
    /// when new data is sent. Returns true when it armed the timer.
    /// </summary>
    public bool ArmIfIdle(TimerKind kind, Instant at)
    {
        if (IsArmed(kind))
        {
            return false;
        }
        Arm(kind, at);
        return IsArmed(kind);
    }

    /// <summary>Stops <paramref name="kind"/>; harmless when it is not armed.</summary>
    public void Cancel(TimerKind kind) => _armed &= (ushort)~(1 << Index(kind));

    /// <summary>Stops every timer (on entering CLOSED).</summary>
    public void CancelAll() => _armed = 0;

    public readonly bool IsArmed(TimerKind kind) => (_armed & (1 << Index(kind))) != 0;

    /// <summary>The deadline of <paramref name="kind"/>, or <see cref="Instant.Never"/> when not armed.</summary>
    public readonly Instant Deadline(TimerKind kind) => IsArmed(kind) ? _deadlines[Index(kind)] : Instant.Never;

    /// <summary>The armed timers whose deadline is at or before <paramref name="now"/>; they stay armed.</summary>
    public readonly TimerSet Due(Instant now)
    {
        int due = 0;
        for (int i = 0; i < KindCount; i++)
        {
            if ((_armed & (1 << i)) != 0 && _deadlines[i] <= now)
            {
                due |= 1 << i;
            }
        }
        return new TimerSet((ushort)due);
    }

    /// <summary>
    /// The timers due at <paramref name="now"/>, disarmed, so a handler that wants one again re-arms it:
    /// <c>foreach (var kind in timers.TakeDue(now)) OnTimer(kind, now);</c>. The set is a copy, so handlers may
    /// arm and cancel freely while it is enumerated.
    /// </summary>
    public TimerSet TakeDue(Instant now)
    {
        TimerSet due = Due(now);
        _armed &= (ushort)~due.Bits;
        return due;
    }

    public override readonly string ToString()
    {
        var parts = new List<string>();
        for (int i = 0; i < KindCount; i++)
        {
            if ((_armed & (1 << i)) != 0)
            {
                parts.Add($"{(TimerKind)i}@{_deadlines[i]}");
            }
        }
        return parts.Count == 0 ? "no timers" : string.Join(", ", parts);
    }

    private static int Index(TimerKind kind)
    {
        if ((uint)kind >= KindCount)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a TimerKind value.");
        }
        return (int)kind;
    }

    private static int CountKinds()
    {
        TimerKind[] kinds = Enum.GetValues<TimerKind>();
        for (int i = 0; i < kinds.Length; i++)
        {
            if ((int)kinds[i] != i)
            {
                throw new InvalidOperationException("TimerKind values must be 0, 1, 2... in order.");
            }
        }
        if (kinds.Length > Capacity)
        {
            throw new InvalidOperationException($"TimerKind has {kinds.Length} values; ConnectionTimers holds {Capacity}.");
        }
        return kinds.Length;
    }

    [InlineArray(Capacity)]
    private struct Deadlines
    {
        private Instant _first;
    }
}

/// <summary>A set of <see cref="TimerKind"/>s as a bit mask; enumerates in kind order without allocating.</summary>
public readonly record struct TimerSet
{
    internal TimerSet(ushort bits) => Bits = bits;

    /// <summary>Bit <c>(int)kind</c> is set for each kind in the set.</summary>
    public ushort Bits { get; }

    public bool IsEmpty => Bits == 0;

    public bool Contains(TimerKind kind) => (Bits & (1 << (int)kind)) != 0;

    public Enumerator GetEnumerator() => new(Bits);

    public override string ToString()
    {
        var parts = new List<string>();
        foreach (TimerKind kind in this)
        {
            parts.Add(kind.ToString());
        }
        return "{" + string.Join(", ", parts) + "}";
    }

    public struct Enumerator(ushort bits)
    {
        private int _remaining = bits;

        public TimerKind Current { get; private set; }

        public bool MoveNext()
        {
            if (_remaining == 0)
            {
                return false;
            }
            int i = System.Numerics.BitOperations.TrailingZeroCount(_remaining);
            _remaining &= _remaining - 1;
            Current = (TimerKind)i;
            return true;
        }
    }
}

using Stack.Link.Time;
using Stack.Tcp.Timers;

namespace Stack.Tests.Tcp;

public sealed class ConnectionTimersTests
{
    private static Instant At(long ms) => Instant.FromMilliseconds(ms);

    [Fact]
    public void Default_has_nothing_armed()
    {
        ConnectionTimers timers = default;
        Assert.False(timers.AnyArmed);
        Assert.Equal(Instant.Never, timers.Next);
        Assert.True(timers.Due(At(1_000_000)).IsEmpty);
        foreach (TimerKind kind in Enum.GetValues<TimerKind>())
        {
            Assert.False(timers.IsArmed(kind));
            Assert.Equal(Instant.Never, timers.Deadline(kind));
        }
    }

    [Fact]
    public void Next_is_the_earliest_armed_deadline()
    {
        var timers = new ConnectionTimers();
        timers.Arm(TimerKind.KeepAlive, At(7_200_000));
        timers.Arm(TimerKind.Retransmission, At(1_000));
        timers.Arm(TimerKind.DelayedAck, At(40));
        Assert.Equal(At(40), timers.Next);

        timers.Cancel(TimerKind.DelayedAck);
        Assert.Equal(At(1_000), timers.Next);

        timers.Arm(TimerKind.Retransmission, At(2_000));
        Assert.Equal(At(2_000), timers.Next);
        Assert.Equal(At(2_000), timers.Deadline(TimerKind.Retransmission));
    }

    [Fact]
    public void Due_lists_the_expired_timers_in_kind_order_and_leaves_them_armed()
    {
        var timers = new ConnectionTimers();
        timers.Arm(TimerKind.LossProbe, At(100));
        timers.Arm(TimerKind.Retransmission, At(100));
        timers.Arm(TimerKind.Persist, At(101));
        timers.Arm(TimerKind.TimeWait, At(50));

        TimerSet due = timers.Due(At(100));
        Assert.Equal([TimerKind.Retransmission, TimerKind.TimeWait, TimerKind.LossProbe], Kinds(due));
        Assert.True(due.Contains(TimerKind.TimeWait));
        Assert.False(due.Contains(TimerKind.Persist));
        Assert.True(timers.IsArmed(TimerKind.TimeWait));
    }

    [Fact]
    public void TakeDue_disarms_what_it_returns_and_handlers_may_rearm()
    {
        var timers = new ConnectionTimers();
        timers.Arm(TimerKind.Retransmission, At(100));
        timers.Arm(TimerKind.DelayedAck, At(90));
        timers.Arm(TimerKind.KeepAlive, At(500));

        var fired = new List<TimerKind>();
        foreach (TimerKind kind in timers.TakeDue(At(100)))
        {
            fired.Add(kind);
            if (kind == TimerKind.Retransmission)
            {
                timers.Arm(TimerKind.Retransmission, At(300));
            }
        }
        Assert.Equal([TimerKind.Retransmission, TimerKind.DelayedAck], fired);
        Assert.False(timers.IsArmed(TimerKind.DelayedAck));
        Assert.Equal(At(300), timers.Next);
        Assert.True(timers.TakeDue(At(299)).IsEmpty);
    }

    [Fact]
    public void Arming_at_never_cancels()
    {
        var timers = new ConnectionTimers();
        timers.Arm(TimerKind.Persist, At(5));
        timers.Arm(TimerKind.Persist, Instant.Never);
        Assert.False(timers.IsArmed(TimerKind.Persist));
        Assert.False(timers.AnyArmed);
    }

    [Fact]
    public void ArmIfIdle_keeps_a_running_timer()
    {
        var timers = new ConnectionTimers();
        Assert.True(timers.ArmIfIdle(TimerKind.Retransmission, At(100)));
        Assert.False(timers.ArmIfIdle(TimerKind.Retransmission, At(50)));
        Assert.Equal(At(100), timers.Deadline(TimerKind.Retransmission));
    }

    [Fact]
    public void CancelAll_stops_everything()
    {
        var timers = new ConnectionTimers();
        timers.Arm(TimerKind.Reorder, At(1));
        timers.Arm(TimerKind.LossProbe, At(2));
        timers.CancelAll();
        Assert.Equal(Instant.Never, timers.Next);
    }

    [Fact]
    public void Every_kind_arms_and_fires_independently()
    {
        TimerKind[] kinds = Enum.GetValues<TimerKind>();
        Assert.Equal(kinds.Length, ConnectionTimers.KindCount);
        var timers = new ConnectionTimers();
        for (int i = 0; i < kinds.Length; i++)
        {
            timers.Arm(kinds[i], At(10 + i));
        }
        foreach (TimerKind kind in kinds)
        {
            Assert.True(timers.IsArmed(kind), $"{kind} did not arm");
        }
        Assert.Equal(kinds, Kinds(timers.TakeDue(At(10 + kinds.Length))));
        Assert.False(timers.AnyArmed);
    }

    private static TimerKind[] Kinds(TimerSet set)
    {
        var list = new List<TimerKind>();
        foreach (TimerKind kind in set)
        {
            list.Add(kind);
        }
        return [.. list];
    }
}

using Stack.Tcp.Congestion;

namespace Stack.Tests.Tcp.Congestion;

public sealed class WindowedMaxTests
{
    private const long Window = 10; // BBR's: ten round trips.

    [Fact]
    public void Default_is_empty_and_the_first_value_becomes_the_maximum()
    {
        var max = default(WindowedMax);
        Assert.Equal(0, max.Value);
        Assert.Equal(5, max.Update(Window, 0, 5));
        Assert.Equal(5, max.Value);
    }

    [Fact]
    public void A_new_maximum_replaces_the_window_at_once()
    {
        var max = default(WindowedMax);
        max.Update(Window, 0, 100);
        max.Update(Window, 1, 80);
        Assert.Equal(150, max.Update(Window, 2, 150));
        // The 100 and 80 are forgotten: even once 150 ages out, nothing older than it can come back.
        Assert.Equal(150, max.Update(Window, 12, 10));
        Assert.Equal(150, max.Value);
        Assert.Equal(10, max.Update(Window, 13, 10));
    }

    [Fact]
    public void Values_below_the_maximum_inside_the_window_do_not_change_it()
    {
        var max = default(WindowedMax);
        max.Update(Window, 0, 100);
        for (long t = 1; t <= Window; t++)
        {
            Assert.Equal(100, max.Update(Window, t, 100 - 5 * t));
        }
        Assert.Equal(100, max.Value);
    }

    [Fact]
    public void An_old_maximum_ages_out_after_the_window_and_the_second_best_takes_over()
    {
        var max = default(WindowedMax);
        max.Update(Window, 0, 100);
        for (long t = 1; t <= Window; t++)
        {
            Assert.Equal(100, max.Update(Window, t, 50)); // Rounds 0..10 are all within ten of round 0.
        }
        Assert.Equal(50, max.Update(Window, Window + 1, 50)); // Round 11: the 100 of round 0 is out.
    }

    [Fact]
    public void A_falling_measurement_steps_down_through_the_best_of_each_part_of_the_window()
    {
        var max = default(WindowedMax);
        max.Update(Window, 0, 100);
        max.Update(Window, 3, 80); // Over a quarter of the window on: kept as the second choice.
        max.Update(Window, 6, 60); // Over half: kept as the third.
        Assert.Equal(100, max.Update(Window, 10, 10));
        // 100 (round 0) leaves at round 11, then 80 (round 3) at round 14: each time the next best moves up,
        // not the latest (10), which a plain "last value" would give.
        Assert.Equal(80, max.Update(Window, 11, 10));
        Assert.Equal(80, max.Update(Window, 13, 10));
        Assert.Equal(60, max.Update(Window, 14, 10));
    }

    [Fact]
    public void After_a_gap_longer_than_the_window_the_next_value_is_the_maximum_however_small()
    {
        var max = default(WindowedMax);
        max.Update(Window, 0, 100);
        Assert.Equal(3, max.Update(Window, 25, 3));
    }
}

using Stack.Sockets.Hosting;

namespace Stack.Tests.Apps;

/// <summary>When `stack serve`'s memory trimmer pauses the process to give memory back (issue 12).</summary>
public sealed class TrimPolicyTests
{
    private const long Mib = 1 << 20;
    private static readonly DateTime Start = new(2026, 12, 5, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Growth_on_a_quiet_link_is_trimmed_and_the_new_level_is_the_floor()
    {
        var policy = new TrimPolicy(100 * Mib, Start);
        Assert.False(policy.ShouldTrim(120 * Mib, 0, Start.AddSeconds(5))); // under a quarter more
        Assert.True(policy.ShouldTrim(130 * Mib, 0, Start.AddSeconds(10)));
        policy.Trimmed(110 * Mib, Start.AddSeconds(10));
        Assert.False(policy.ShouldTrim(130 * Mib, 0, Start.AddSeconds(15))); // measured from the new floor
        Assert.True(policy.ShouldTrim(140 * Mib, 0, Start.AddSeconds(20)));
    }

    [Fact]
    public void A_busy_link_defers_the_pause_until_it_goes_quiet()
    {
        var policy = new TrimPolicy(100 * Mib, Start);
        Assert.False(policy.ShouldTrim(200 * Mib, 50_000, Start.AddSeconds(5)));
        Assert.False(policy.ShouldTrim(200 * Mib, 50_000, Start.AddSeconds(10)));
        Assert.True(policy.ShouldTrim(200 * Mib, TrimPolicy.QuietFramesPerSecond - 1, Start.AddSeconds(15)));
    }

    [Fact]
    public void An_endless_flood_still_gets_one_pause_after_the_longest_deferral()
    {
        var policy = new TrimPolicy(100 * Mib, Start);
        var firstLook = Start.AddSeconds(5);
        Assert.False(policy.ShouldTrim(200 * Mib, 50_000, firstLook));
        Assert.False(policy.ShouldTrim(200 * Mib, 50_000, firstLook + TrimPolicy.MaxDeferral - TimeSpan.FromSeconds(1)));
        Assert.True(policy.ShouldTrim(200 * Mib, 50_000, firstLook + TrimPolicy.MaxDeferral));
        policy.Trimmed(180 * Mib, firstLook + TrimPolicy.MaxDeferral);
        // The deferral starts again from the trim.
        Assert.False(policy.ShouldTrim(250 * Mib, 50_000, firstLook + TrimPolicy.MaxDeferral + TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Memory_back_under_the_threshold_clears_a_deferral()
    {
        var policy = new TrimPolicy(100 * Mib, Start);
        Assert.False(policy.ShouldTrim(200 * Mib, 50_000, Start.AddSeconds(5)));
        Assert.False(policy.ShouldTrim(105 * Mib, 50_000, Start.AddSeconds(30))); // fell back on its own
        Assert.False(policy.ShouldTrim(200 * Mib, 50_000, Start.AddSeconds(70))); // a new deferral, not the old one
        Assert.True(policy.ShouldTrim(200 * Mib, 50_000, Start.AddSeconds(130)));
    }

    [Fact]
    public void Memory_left_above_the_start_is_rechecked_a_minute_after_the_last_trim()
    {
        var policy = new TrimPolicy(100 * Mib, Start);
        Assert.False(policy.ShouldTrim(120 * Mib, 0, Start.AddSeconds(30)));
        Assert.True(policy.ShouldTrim(120 * Mib, 0, Start + TrimPolicy.Recheck));
        Assert.False(policy.ShouldTrim(110 * Mib, 0, Start + TrimPolicy.Recheck)); // within the slack of the start
    }

    [Fact]
    public void The_end_of_a_busy_spell_trims_what_is_left_above_the_start()
    {
        var policy = new TrimPolicy(100 * Mib, Start);
        Assert.True(policy.ShouldTrim(200 * Mib, 0, Start.AddSeconds(5)));
        policy.Trimmed(130 * Mib, Start.AddSeconds(5));
        Assert.False(policy.ShouldTrim(150 * Mib, 50_000, Start.AddSeconds(10))); // a second flood, not grown enough
        Assert.True(policy.ShouldTrim(150 * Mib, 0, Start.AddSeconds(15))); // it ended: back towards the start
        policy.Trimmed(110 * Mib, Start.AddSeconds(15));
        Assert.False(policy.ShouldTrim(130 * Mib, 0, Start.AddSeconds(20))); // quiet, no spell ended, not grown
    }
}

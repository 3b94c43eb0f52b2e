using Stack.Tcp;
using Stack.Tcp.Sack;

namespace Stack.Tests.Tcp;

public sealed class SackScoreboardTests
{
    private static SeqNum S(uint v) => new(v);

    [Fact]
    public void Blocks_merge_and_report_new_data()
    {
        var board = new SackScoreboard();
        Assert.True(board.Add(S(2001), S(3001), S(1001), S(10001)));
        Assert.True(board.Add(S(4001), S(5001), S(1001), S(10001)));
        Assert.False(board.Add(S(2001), S(3001), S(1001), S(10001))); // Nothing new.
        Assert.True(board.Add(S(3001), S(4001), S(1001), S(10001)));  // Fills between: one range.
        Assert.Equal(1, board.Count);
        Assert.Equal(new SeqRange(S(2001), S(5001)), board[0]);
        Assert.Equal(3000, board.SackedBytes);
        Assert.Equal(S(5001), board.HighSacked);
    }

    [Fact]
    public void Dsack_and_blocks_beyond_what_was_sent_are_clipped_or_ignored()
    {
        var board = new SackScoreboard();
        Assert.False(board.Add(S(1), S(1001), S(1001), S(10001)));   // Below SND.UNA: a D-SACK.
        Assert.True(board.Add(S(9001), S(20001), S(1001), S(10001))); // Clipped at SND.MAX.
        Assert.Equal(new SeqRange(S(9001), S(10001)), board[0]);
        Assert.False(board.Add(S(5001), S(4001), S(1001), S(10001))); // Inverted.
    }

    [Fact]
    public void Sacked_above_counts_for_is_lost_and_advance_forgets()
    {
        var board = new SackScoreboard();
        board.Add(S(2001), S(3001), S(1001), S(10001));
        board.Add(S(4001), S(6001), S(1001), S(10001));
        Assert.Equal(3000, board.SackedAbove(S(1001)));
        Assert.Equal(2000, board.SackedAbove(S(3001)));
        Assert.Equal(1000, board.SackedAbove(S(5001)));
        Assert.True(board.IsSacked(S(2500), out var end));
        Assert.Equal(S(3001), end);
        Assert.False(board.IsSacked(S(3001), out _));
        Assert.Equal(S(4001), board.NextSackedAfter(S(3001)));
        board.AdvanceTo(S(5001));
        Assert.Equal(1, board.Count);
        Assert.Equal(new SeqRange(S(5001), S(6001)), board[0]);
    }

    [Fact]
    public void A_full_table_drops_the_furthest_range()
    {
        var board = new SackScoreboard(capacity: 2);
        board.Add(S(2001), S(3001), S(1), S(100001));
        board.Add(S(6001), S(7001), S(1), S(100001));
        Assert.True(board.Add(S(4001), S(5001), S(1), S(100001)));
        Assert.Equal(2, board.Count);
        Assert.Equal(S(5001), board.HighSacked);
        Assert.False(board.Add(S(9001), S(9501), S(1), S(100001)));
    }
}

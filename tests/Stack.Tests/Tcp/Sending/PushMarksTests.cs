using Stack.Tcp;
using Stack.Tcp.Sending;

namespace Stack.Tests.Tcp.Sending;

/// <summary>The chunk ends a segment's PSH is read from: which segments reach one, and how marks come and go.</summary>
public sealed class PushMarksTests
{
    private static SeqNum S(uint v) => new(v);

    [Fact]
    public void A_segment_reaching_a_mark_carries_it_and_one_short_of_it_does_not()
    {
        var marks = new PushMarks();
        marks.Add(S(2001));
        marks.Add(S(4001));
        Assert.False(marks.Covers(S(1), S(1001)));
        Assert.True(marks.Covers(S(1001), S(2001)));
        Assert.False(marks.Covers(S(2001), S(3001))); // A mark at the start belongs to the segment before.
        Assert.True(marks.Covers(S(3001), S(4001)));
        Assert.True(marks.Covers(S(1501), S(2501))); // Crossing a mark (the MSS changed): the push is not lost.
        Assert.False(marks.Covers(S(4001), S(5001)));
        Assert.False(marks.Covers(S(2001), S(2001)));
    }

    [Fact]
    public void Acknowledged_marks_go_and_the_newest_can_be_taken_back()
    {
        var marks = new PushMarks();
        marks.Add(S(1001));
        marks.Add(S(2001));
        marks.Add(S(2501));
        marks.RemoveLast(); // A later write fills the chunk on.
        Assert.Equal(S(2001), marks.Last);
        marks.AckTo(S(1001));
        Assert.Equal(1, marks.Count);
        Assert.False(marks.Covers(S(1), S(1001)));
        Assert.True(marks.Covers(S(1001), S(2001)));
        Assert.Throws<ArgumentOutOfRangeException>(() => marks.Add(S(2001)));
    }

    [Fact]
    public void The_ring_wraps_and_grows_across_the_sequence_wrap()
    {
        var marks = new PushMarks();
        SeqNum next = S(uint.MaxValue - 10_000);
        for (int round = 0; round < 40; round++)
        {
            for (int i = 0; i < 7; i++)
            {
                next += 1000;
                marks.Add(next);
            }
            marks.AckTo(next - 3000); // Keeps the newest three; the head walks round the ring.
        }
        Assert.Equal(3, marks.Count);
        Assert.True(marks.Covers(next - 1000, next));
        Assert.True(marks.Covers(next - 3000, next - 2000));
        Assert.False(marks.Covers(next - 4000, next - 3000));
        for (int i = 0; i < 100; i++)
        {
            next += 1000;
            marks.Add(next);
        }
        Assert.Equal(103, marks.Count);
        Assert.True(marks.Covers(next - 51_000, next - 50_000));
    }
}

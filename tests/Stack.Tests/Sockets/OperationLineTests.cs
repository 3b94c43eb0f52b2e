using Stack.Sockets;

namespace Stack.Tests.Sockets;

/// <summary>The line waiting calls take on the loop, linked through the operations: order, removal anywhere, and no allocation.</summary>
public sealed class OperationLineTests
{
    private sealed class Op(int id) : LineMember
    {
        public int Id => id;
    }

    private static List<int> Drain(ref OperationLine<Op> line)
    {
        var ids = new List<int>();
        while (line.First is { } op)
        {
            Assert.True(line.Remove(op));
            ids.Add(op.Id);
        }
        return ids;
    }

    [Fact]
    public void Operations_leave_oldest_first_and_can_leave_from_anywhere()
    {
        var line = new OperationLine<Op>();
        var ops = Enumerable.Range(0, 5).Select(i => new Op(i)).ToArray();
        foreach (var op in ops) line.AddLast(op);
        Assert.Equal(5, line.Count);

        Assert.True(line.Remove(ops[2])); // the middle
        Assert.True(line.Remove(ops[4])); // the last
        Assert.True(line.Remove(ops[0])); // the first
        Assert.False(line.Remove(ops[0])); // already out: a pump that served it in a nested call
        Assert.Equal(2, line.Count);
        line.AddLast(ops[0]); // a reused operation takes a new place, at the end
        Assert.Equal([1, 3, 0], Drain(ref line));
        Assert.Equal(0, line.Count);
        Assert.Null(line.First);
    }

    [Fact]
    public void An_operation_cannot_wait_twice()
    {
        var line = new OperationLine<Op>();
        var op = new Op(1);
        line.AddLast(op);
        Assert.Throws<InvalidOperationException>(() => line.AddLast(op));
    }

    [Fact]
    public void Waiting_and_leaving_allocates_nothing()
    {
        var line = new OperationLine<Op>();
        var ops = Enumerable.Range(0, 8).Select(i => new Op(i)).ToArray();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 100; round++)
        {
            foreach (var op in ops) line.AddLast(op);
            while (line.First is { } first) line.Remove(first);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

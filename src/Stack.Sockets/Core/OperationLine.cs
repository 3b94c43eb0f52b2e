namespace Stack.Sockets;

/// <summary>
/// What an operation carries to wait in an <see cref="OperationLine{TOperation}"/>: its neighbours in the line.
/// An operation waits in one line only (its socket's, for its direction), so a flag says whether it is in it.
/// </summary>
internal abstract class LineMember
{
    internal LineMember? Next;
    internal LineMember? Previous;
    internal bool InLine;
}

/// <summary>
/// Calls waiting on the loop, oldest first, linked through the operations themselves: a call that has to wait
/// takes its place without allocating (a <see cref="LinkedList{T}"/> makes a node per wait). A struct held in
/// its channel's field and changed only there, on the loop: never copy it.
/// </summary>
internal struct OperationLine<TOperation> where TOperation : LineMember
{
    private LineMember? _first;
    private LineMember? _last;

    public int Count { get; private set; }

    public readonly TOperation? First => (TOperation?)_first;

    public void AddLast(TOperation op)
    {
        if (op.InLine) throw new InvalidOperationException("The operation is already waiting in a line.");
        op.InLine = true;
        op.Previous = _last;
        op.Next = null;
        if (_last is null) _first = op;
        else _last.Next = op;
        _last = op;
        Count++;
    }

    /// <summary>Takes <paramref name="op"/> out of the line; false when it was not in it (already served).</summary>
    public bool Remove(TOperation op)
    {
        if (!op.InLine) return false;
        if (op.Previous is null) _first = op.Next;
        else op.Previous.Next = op.Next;
        if (op.Next is null) _last = op.Previous;
        else op.Next.Previous = op.Previous;
        (op.Next, op.Previous, op.InLine) = (null, null, false);
        Count--;
        return true;
    }
}

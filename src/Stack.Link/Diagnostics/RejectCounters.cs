namespace Stack.Link.Diagnostics;

/// <summary>
/// Rejections counted by (layer, reason). Written only by the stack's event loop; read by anyone as a snapshot
/// (a torn read of a counter that is being incremented is harmless for diagnostics).
/// </summary>
public sealed class RejectCounters
{
    private static readonly int Reasons = Enum.GetValues<RejectReason>().Length;
    private readonly long[] _counts = new long[Enum.GetValues<Layer>().Length * Reasons];

    public void Count(Layer layer, RejectReason reason) => _counts[(int)layer * Reasons + (int)reason]++;

    public long this[Layer layer, RejectReason reason] => Volatile.Read(ref _counts[(int)layer * Reasons + (int)reason]);

    public long Total(Layer layer)
    {
        long sum = 0;
        for (int r = 0; r < Reasons; r++) sum += Volatile.Read(ref _counts[(int)layer * Reasons + r]);
        return sum;
    }

    /// <summary>Every non-zero counter, for logs and the CLI's exit summary.</summary>
    public IReadOnlyList<(Layer Layer, RejectReason Reason, long Count)> Snapshot()
    {
        var list = new List<(Layer, RejectReason, long)>();
        foreach (var l in Enum.GetValues<Layer>())
            foreach (var r in Enum.GetValues<RejectReason>())
                if (this[l, r] is var c and > 0) list.Add((l, r, c));
        return list;
    }
}

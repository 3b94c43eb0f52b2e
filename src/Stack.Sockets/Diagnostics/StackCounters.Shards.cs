namespace Stack.Sockets.Diagnostics;

public static partial class StackCounters
{
    /// <summary>The per-shard counters <see cref="Combine"/> adds, as StackShard{K} plus the name.</summary>
    private static readonly string[] PerShard = ["TcpPassiveOpens", "TcpActiveOpens", "StackTcpHandedOff", "StackUdpHandedOff", "StackLoopFramesHandled"];

    /// <summary>
    /// The counters of a multi-queue stack's shards (<see cref="Hosting.StackShards"/>, each read on its own loop)
    /// as one stack's: every counter and gauge summed by name, in the order of first appearance, then for each
    /// shard K its StackShard{K}TcpPassiveOpens, …TcpActiveOpens, …StackTcpHandedOff, …StackUdpHandedOff and
    /// …StackLoopFramesHandled,
    /// which show how the kernel spread the flows. One shard's list comes back as it is.
    /// </summary>
    public static IReadOnlyList<StackCounter> Combine(IReadOnlyList<IReadOnlyList<StackCounter>> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 1) return shards[0];
        var sums = new Dictionary<string, int>();
        var list = new List<StackCounter>(shards.Count == 0 ? 0 : shards[0].Count + PerShard.Length * shards.Count);
        foreach (var shard in shards)
        {
            foreach (var c in shard)
            {
                if (sums.TryGetValue(c.Name, out var i)) list[i] = list[i] with { Value = list[i].Value + c.Value };
                else
                {
                    sums[c.Name] = list.Count;
                    list.Add(c);
                }
            }
        }
        for (int k = 0; k < shards.Count; k++)
            foreach (var c in shards[k])
                if (Array.IndexOf(PerShard, c.Name) >= 0) list.Add(new($"StackShard{k}{c.Name}", c.Value, c.IsGauge));
        return list;
    }
}

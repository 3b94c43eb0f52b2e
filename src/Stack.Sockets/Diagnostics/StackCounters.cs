using Stack.Sockets.Hosting;

namespace Stack.Sockets.Diagnostics;

/// <summary>One counter of a stack by its nstat name; a gauge is a level (TcpCurrEstab), not a running total.</summary>
public readonly record struct StackCounter(string Name, long Value, bool IsGauge = false);

/// <summary>Every counter of a stack (placeholder until the full catalog lands: the TCP statistics only).</summary>
public static class StackCounters
{
    /// <summary>Reads the counters; on the stack's loop only.</summary>
    public static IReadOnlyList<StackCounter> Read(StackInstance stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return [.. stack.Tcp.Statistics.Snapshot().Select(c => new StackCounter("StackTcp" + c.Name, c.Value))];
    }
}

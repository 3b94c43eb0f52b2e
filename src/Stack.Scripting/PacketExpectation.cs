using Stack.Tcp.Wire;

namespace Stack.Scripting;

/// <summary>How strictly <see cref="PacketExpectation.Match"/> compares.</summary>
/// <param name="CheckTimestampValue">
/// Compare the stack's own TS val with the script's. Off by default, as in packetdrill without
/// <c>--tcp_ts_tick_usecs</c>: the value is the stack's clock, which a script cannot know. TS ecr is always checked.
/// </param>
public sealed record PacketMatchSettings(bool CheckTimestampValue = false)
{
    public static PacketMatchSettings Default { get; } = new();
}

/// <summary>Compares a segment the stack sent with the outbound line that expected it. Pure: no TCP layer needed.</summary>
public static class PacketExpectation
{
    /// <summary>
    /// Null when <paramref name="actual"/> satisfies <paramref name="expected"/>; otherwise every field that differs,
    /// each as "expected ack 1, got ack 1001", joined with "; ". The runner adds file, line and both packets.
    /// </summary>
    public static string? Match(PacketEvent expected, ActualSegment actual, PacketMatchSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        settings ??= PacketMatchSettings.Default;
        var problems = new List<string>();

        if (expected.Flags != actual.Flags)
            problems.Add($"expected flags {PacketEvent.FormatFlags(expected.Flags)}, got flags {PacketEvent.FormatFlags(actual.Flags)}");
        if (!expected.StartSeq.Accepts(actual.Seq))
            problems.Add($"expected seq {expected.StartSeq}, got seq {actual.Seq}");
        if (!expected.PayloadLength.Accepts((uint)actual.PayloadLength))
            problems.Add($"expected payload length {expected.PayloadLength}, got payload length {actual.PayloadLength}");
        // With start and length both exact the end follows from them (the parser checked end - start = length).
        if (!(expected.StartSeq.IsExact && expected.PayloadLength.IsExact) && !expected.EndSeq.Accepts(actual.EndSeq))
            problems.Add($"expected end seq {expected.EndSeq}, got end seq {actual.EndSeq}");
        if (expected.Ack.IsExact)
        {
            if ((actual.Flags & TcpFlags.Ack) == 0)
            {
                if ((expected.Flags & TcpFlags.Ack) == 0)
                    problems.Add($"expected ack {expected.Ack}, got no ACK flag");
            }
            else if (!expected.Ack.Accepts(actual.Ack))
            {
                problems.Add($"expected ack {expected.Ack}, got ack {actual.Ack}");
            }
        }
        if (!expected.Window.Accepts(actual.Window))
            problems.Add($"expected win {expected.Window}, got win {actual.Window}");
        if (!expected.UrgentPointer.Accepts(actual.UrgentPointer))
            problems.Add($"expected urg {expected.UrgentPointer}, got urg {actual.UrgentPointer}");
        if (MatchOptions(expected, actual, settings) is { } options)
            problems.Add(options);

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static string? MatchOptions(PacketEvent expected, ActualSegment actual, PacketMatchSettings settings)
    {
        switch (expected.OptionsKind)
        {
            case PacketOptionsKind.Any:
                return null;
            case PacketOptionsKind.None when actual.Options.Count == 0 && !actual.OptionsMalformed:
                return null;
            case PacketOptionsKind.None:
                return $"expected no options, got options {actual.FormatOptions()}";
        }
        string Mismatch(string detail) =>
            $"expected options {ScriptTcpOption.FormatList(expected.Options)}, got options {actual.FormatOptions()} ({detail})";
        if (actual.OptionsMalformed)
            return Mismatch("the actual options are malformed");
        int n = Math.Min(expected.Options.Count, actual.Options.Count);
        for (int i = 0; i < n; i++)
        {
            if (!expected.Options[i].Accepts(actual.Options[i], settings.CheckTimestampValue))
                return Mismatch($"option {i + 1}: expected {expected.Options[i]}, got {actual.Options[i]}");
        }
        if (expected.Options.Count != actual.Options.Count)
            return Mismatch($"expected {expected.Options.Count} options, got {actual.Options.Count}");
        return null;
    }
}

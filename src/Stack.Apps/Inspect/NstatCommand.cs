using System.Globalization;
using System.Text.Json;
using Stack.Sockets.Control;

namespace Stack.Apps.Inspect;

/// <summary>What `stack nstat` was asked: nstat(8)'s flags, the stack to ask, and name patterns (* and ? globs).</summary>
public sealed record NstatOptions
{
    /// <summary>-z: show counters that did not move too.</summary>
    public bool Zeros { get; init; }

    /// <summary>-a: absolute values, not increments (the history is still updated).</summary>
    public bool Absolute { get; init; }

    /// <summary>-r: forget the history first (so this call shows totals).</summary>
    public bool Reset { get; init; }

    /// <summary>-s: do not update the history.</summary>
    public bool NoUpdate { get; init; }

    public bool Json { get; init; }
    public string? Name { get; init; }
    public string? Control { get; init; }
    public IReadOnlyList<string> Patterns { get; init; } = [];

    /// <summary>Where the history lives; default next to the control sockets (the user's own directory).</summary>
    public string? HistoryFile { get; init; }
}

/// <summary>
/// `stack nstat`: a running stack's counters by nstat's names, as increments since this user's last call, like
/// nstat(8) (whose history is per user too). Gauges (TcpCurrEstab) show their level, not an increment. The rate
/// column is the increment over the seconds since the last call. Exit 0, 1 when no stack answers.
/// </summary>
public static class NstatCommand
{
    public static int Run(NstatOptions options, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!StackTarget.TryResolve(options.Name, options.Control, out var path, out var error))
        {
            stderr.WriteLine($"stack: {error}");
            return 1;
        }
        var reply = StackTarget.Ask(null, path, ControlProtocol.Counters, stderr);
        if (reply is null) return 1;
        var now = DateTimeOffset.UtcNow;
        var historyFile = options.HistoryFile ?? Path.ChangeExtension(path, ".nstat");
        var history = options.Reset ? null : NstatHistory.Load(historyFile);
        var rows = Rows(reply.Counters ?? [], history, options, now);
        if (options.Json) WriteJson(rows, stdout);
        else WriteText(rows, Path.GetFileNameWithoutExtension(path), stdout);
        if (!options.NoUpdate) NstatHistory.Save(historyFile, reply.Counters ?? [], now);
        return 0;
    }

    public readonly record struct Row(string Name, long Value, double Rate);

    /// <summary>The lines to print: increments (or levels), filtered by pattern and, without -z, by being non-zero.</summary>
    public static IReadOnlyList<Row> Rows(IReadOnlyList<CounterEntry> counters, NstatHistory? history, NstatOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(options);
        double seconds = history is null ? 0 : (now - history.Taken).TotalSeconds;
        var rows = new List<Row>();
        foreach (var c in counters)
        {
            if (options.Patterns.Count > 0 && !options.Patterns.Any(p => Glob(p, c.Name))) continue;
            long previous = history?.Values.GetValueOrDefault(c.Name) ?? 0;
            long value = options.Absolute || c.Gauge ? c.Value : c.Value - previous;
            if (value == 0 && !options.Zeros) continue;
            double rate = c.Gauge || seconds <= 0 ? 0 : (c.Value - previous) / seconds;
            rows.Add(new Row(c.Name, value, rate));
        }
        return rows;
    }

    public static void WriteText(IReadOnlyList<Row> rows, string name, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"#stack {name}");
        foreach (var r in rows)
        {
            // nstat's columns (32 and 19 wide), widened where a name or value would run into the next.
            var value = r.Value.ToString(CultureInfo.InvariantCulture);
            output.WriteLine(r.Name.PadRight(Math.Max(32, r.Name.Length + 1)) + value.PadRight(Math.Max(19, value.Length + 1))
                + r.Rate.ToString("0.0", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>nstat --json's shape, {"stack":{"Name":value,...}}.</summary>
    private static void WriteJson(IReadOnlyList<Row> rows, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("stack");
            foreach (var r in rows) json.WriteNumber(r.Name, r.Value);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>nstat's patterns: shell globs with * and ?, matched against the whole name.</summary>
    public static bool Glob(string pattern, string name)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(name);
        return Match(pattern.AsSpan(), name.AsSpan());

        static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> s)
        {
            if (p.IsEmpty) return s.IsEmpty;
            if (p[0] == '*')
            {
                for (int i = 0; i <= s.Length; i++)
                    if (Match(p[1..], s[i..])) return true;
                return false;
            }
            return !s.IsEmpty && (p[0] == '?' || p[0] == s[0]) && Match(p[1..], s[1..]);
        }
    }
}

/// <summary>The counters as the last call saw them, and when: one small JSON file per user and stack.</summary>
public sealed record NstatHistory(DateTimeOffset Taken, IReadOnlyDictionary<string, long> Values)
{
    public static NstatHistory? Load(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            var taken = root.GetProperty("taken").GetDateTimeOffset();
            var values = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var p in root.GetProperty("values").EnumerateObject()) values[p.Name] = p.Value.GetInt64();
            return new NstatHistory(taken, values);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException
            or InvalidOperationException or FormatException)
        {
            return null; // No history yet, or one we cannot read: start again from totals, as nstat does.
        }
    }

    public static void Save(string path, IReadOnlyList<CounterEntry> counters, DateTimeOffset taken)
    {
        ArgumentNullException.ThrowIfNull(counters);
        try
        {
            using var file = new MemoryStream();
            using (var json = new Utf8JsonWriter(file))
            {
                json.WriteStartObject();
                json.WriteString("taken", taken);
                json.WriteStartObject("values");
                foreach (var c in counters.Where(c => !c.Gauge)) json.WriteNumber(c.Name, c.Value);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            var temporary = path + ".tmp";
            File.WriteAllBytes(temporary, file.ToArray());
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without a history the next call shows totals again; not worth failing this one.
        }
    }
}

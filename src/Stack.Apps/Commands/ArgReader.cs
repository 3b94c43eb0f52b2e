namespace Stack.Apps.Commands;

/// <summary>
/// A small strict reader for `--name value` options: every option must be known to the command, values are
/// required where declared, and anything left over is an error.
/// </summary>
public sealed class ArgReader
{
    private readonly List<string> _args;

    public ArgReader(IEnumerable<string> args) => _args = [.. args];

    /// <summary>All values of a repeatable option, in order.</summary>
    public IReadOnlyList<string> All(string name)
    {
        var values = new List<string>();
        for (int i = 0; i < _args.Count;)
        {
            if (_args[i] != name)
            {
                i++;
                continue;
            }
            if (i + 1 >= _args.Count || _args[i + 1].StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"{name} needs a value");
            values.Add(_args[i + 1]);
            _args.RemoveRange(i, 2);
        }
        return values;
    }

    public string? Optional(string name)
    {
        var all = All(name);
        return all.Count switch
        {
            0 => null,
            1 => all[0],
            _ => throw new UsageException($"{name} given more than once"),
        };
    }

    public string Required(string name) => Optional(name) ?? throw new UsageException($"{name} is required");

    public int? OptionalInt(string name, int min, int max)
    {
        if (Optional(name) is not { } text) return null;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, null, out int value) || value < min || value > max)
            throw new UsageException($"{name} must be a number from {min} to {max}, not '{text}'");
        return value;
    }

    public bool Flag(string name) => _args.Remove(name);

    /// <summary>Positional arguments (whatever is left that is not an option), consumed.</summary>
    public string? Positional()
    {
        int i = _args.FindIndex(a => !a.StartsWith("--", StringComparison.Ordinal));
        if (i < 0) return null;
        var value = _args[i];
        _args.RemoveAt(i);
        return value;
    }

    /// <summary>Fails on anything the command did not consume.</summary>
    public void EnsureConsumed()
    {
        if (_args.Count > 0) throw new UsageException($"unexpected argument '{_args[0]}'");
    }
}

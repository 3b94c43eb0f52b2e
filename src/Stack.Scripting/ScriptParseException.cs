namespace Stack.Scripting;

/// <summary>
/// A script that cannot be parsed: <see cref="Exception.Message"/> reads <c>file:line:column: what is wrong</c>.
/// The only exception the parser throws on bad input.
/// </summary>
public sealed class ScriptParseException : Exception
{
    public ScriptParseException(string file, int line, int column, string reason)
        : base($"{file}:{line}:{column}: {reason}")
    {
        File = file;
        Line = line;
        Column = column;
        Reason = reason;
    }

    public string File { get; }

    /// <summary>1-based line of the offending text.</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending text.</summary>
    public int Column { get; }

    /// <summary>The message without the location.</summary>
    public string Reason { get; }
}

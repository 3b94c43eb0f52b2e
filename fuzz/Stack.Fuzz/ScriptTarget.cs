using System.Text;
using Stack.Scripting;

namespace Stack.Fuzz;

/// <summary>
/// The packetdrill-style script parser: any text parses to a script or fails with a
/// <see cref="ScriptParseException"/> that points inside the text; a script that parses prints as text that
/// parses back to the same script.
/// </summary>
public static class ScriptTarget
{
    private const string File = "fuzz.pkt";

    public static void Run(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        Script script;
        try
        {
            script = ScriptParser.Parse(text, File);
        }
        catch (ScriptParseException e)
        {
            int lines = text.Count(c => c == '\n') + 1;
            if (!e.Message.StartsWith(File + ":", StringComparison.Ordinal) || e.Line < 1 || e.Line > lines || e.Column < 1)
                throw new FuzzOracleException($"parse error outside the text ({lines} lines): {e.Message}");
            return;
        }
        string printed = script.ToString();
        Script reparsed;
        try
        {
            reparsed = ScriptParser.Parse(printed, File);
        }
        catch (ScriptParseException e)
        {
            throw new FuzzOracleException($"a parsed script printed as text that does not parse: {e.Message}\n{printed}");
        }
        if (!WithoutLines(script).Equals(WithoutLines(reparsed)))
            throw new FuzzOracleException($"a parsed script printed as text that parses differently:\n{printed}\n---\n{reparsed}");
    }

    private static Script WithoutLines(Script s) =>
        s with { Events = new ValueList<ScriptEvent>(s.Events.Select(e => e with { Line = 0 })), Warnings = ValueList<ScriptWarning>.Empty };
}

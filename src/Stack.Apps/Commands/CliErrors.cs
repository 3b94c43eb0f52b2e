using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Stack.Apps.Commands;

/// <summary>
/// Turns System.CommandLine's parse errors into the one line the `stack` command prints (without the "stack: "
/// prefix): an unknown option or command is named, with the nearest known one when a typo is likely.
/// </summary>
internal static class CliErrors
{
    /// <summary>The first problem of <paramref name="result"/> in one line, or null when it parsed (or asks for help or the version).</summary>
    public static string? Describe(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Action is CommandLineAction { ClearsParseErrors: true }) return null;
        var command = result.CommandResult.Command;
        if (OptionTakenAsValue(result, command) is { } valueless) return $"{valueless} needs a value";
        // "--verbos" is not an option, so the parser may take it as a positional value; no value of ours starts with "--".
        // At the top, a word that is no command comes first: "stack serv --tap tap0" is about "serv", not "--tap".
        var unknown = (command is RootCommand ? result.UnmatchedTokens.FirstOrDefault(t => !t.StartsWith('-')) : null)
            ?? result.Tokens.FirstOrDefault(t => t.Type == TokenType.Argument && t.Value.StartsWith("--", StringComparison.Ordinal) && t.Value.Length > 2)?.Value
            ?? (result.UnmatchedTokens.Count > 0 ? result.UnmatchedTokens[0] : null);
        if (unknown is null && result.Errors.Count == 0) return null;
        if (unknown is { } token)
        {
            if (command is RootCommand)
                return token.StartsWith('-')
                    ? $"unknown option '{token}'{Hint(token, OptionNames(command)) ?? " (try: stack --help)"}"
                    : $"unknown command '{token}'{Hint(token, command.Subcommands.Select(c => c.Name)) ?? " (try: stack --help)"}";
            return token.StartsWith('-') && token.Length > 1
                ? $"unknown option '{token}' for stack {command.Name}{Hint(token, OptionNames(command)) ?? $" (try: stack {command.Name} --help)"}"
                : $"unexpected argument '{token}' (try: stack {command.Name} --help)";
        }
        return ArityProblem(result, command) ?? result.Errors[0].Message;
    }

    /// <summary>
    /// The option whose value the parser took from the next option's name (`--tap --ip ...` gives --tap the value
    /// "--ip"): that option was given no value. Null when there is none.
    /// </summary>
    private static string? OptionTakenAsValue(ParseResult result, Command command)
    {
        var names = OptionNames(command).ToHashSet(StringComparer.Ordinal);
        for (int i = 1; i < result.Tokens.Count; i++)
        {
            var token = result.Tokens[i];
            if (token.Type == TokenType.Argument && names.Contains(token.Value) && result.Tokens[i - 1].Type == TokenType.Option)
                return result.Tokens[i - 1].Value;
        }
        return null;
    }

    /// <summary>
    /// The library's own arity errors ("Option '--tap' is required.", "Required argument missing for option",
    /// "expects a single argument but 2 were provided") in the words the command has always used for them.
    /// </summary>
    private static string? ArityProblem(ParseResult result, Command command)
    {
        if (command.Options.FirstOrDefault(o => o.Required && result.GetResult(o) is null or { Implicit: true }) is { } missing)
            return $"{missing.Name} is required";
        foreach (var given in result.CommandResult.Children.OfType<OptionResult>().Where(r => !r.Implicit))
        {
            var arity = given.Option.Arity;
            if (given.Tokens.Count < arity.MinimumNumberOfValues) return $"{given.Option.Name} needs a value";
            if (given.Tokens.Count > arity.MaximumNumberOfValues) return $"{given.Option.Name} given more than once";
        }
        return null;
    }

    /// <summary>Every name and alias of the options <paramref name="command"/> takes, its parents' recursive ones included.</summary>
    private static IEnumerable<string> OptionNames(Command command) =>
        command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive)))
            .SelectMany(o => o.Aliases.Prepend(o.Name));

    /// <summary>" (did you mean X?)" for the one nearest candidate within a typo's reach, else null.</summary>
    private static string? Hint(string token, IEnumerable<string> candidates)
    {
        var best = candidates.Distinct()
            .Select(c => (Name: c, Distance: Distance(token, c)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        // A third of the word, at least one edit: "--prot" finds "--port", "--verbos" "--verbose", "--xyz" nothing.
        int reach = Math.Max(1, token.TrimStart('-').Length / 3);
        return best.Name is not null && best.Distance <= reach ? $" (did you mean {best.Name}?)" : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}

using System.CommandLine;
using System.CommandLine.Help;
using System.Runtime.CompilerServices;

namespace Stack.Apps.Commands;

/// <summary>
/// A command's one-line synopsis, derived from its symbols (`stack serve --tap NAME --ip ADDR/PREFIX [--ip
/// ADDR/PREFIX ...] [--mtu N] ...`), for `stack --help` and the usage printed when no command is given.
/// </summary>
internal static class Synopsis
{
    /// <summary>Options the command needs in the usual case but checks itself, because another option can stand in (--ip or --dhcp).</summary>
    private static readonly ConditionalWeakTable<Symbol, object> UsuallyRequired = [];

    /// <summary>
    /// Marks <paramref name="symbol"/> as written without brackets in the synopsis, though the parser does not demand
    /// it: the command checks it itself, with its own message (HOST is required), or another option can stand in.
    /// </summary>
    public static void ShowAsRequired(Symbol symbol) => UsuallyRequired.AddOrUpdate(symbol, symbol);

    public static string Of(Command command, string prefix = "stack")
    {
        ArgumentNullException.ThrowIfNull(command);
        var words = new List<string> { prefix, command.Name };
        foreach (var argument in command.Arguments.Where(a => !a.Hidden))
            words.Add(argument.Arity.MinimumNumberOfValues > 0 || UsuallyRequired.TryGetValue(argument, out _) ? argument.Name : $"[{argument.Name}]");
        foreach (var option in command.Options.Where(o => !o.Hidden && o is not HelpOption))
            words.Add(Of(option));
        return string.Join(' ', words);
    }

    private static string Of(Option option)
    {
        if (option.Arity.MaximumNumberOfValues == 0) return $"[{option.Name}]";
        var one = $"{option.Name} {option.HelpName ?? "VALUE"}";
        bool required = option.Required || UsuallyRequired.TryGetValue(option, out _);
        bool repeatable = option.Arity.MaximumNumberOfValues > 1;
        return (required, repeatable) switch
        {
            (true, false) => one,
            (true, true) => $"{one} [{one} ...]",
            (false, false) => $"[{one}]",
            (false, true) => $"[{one} ...]",
        };
    }
}

using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.Extensions.Logging;

namespace Stack.Apps.Commands;

/// <summary>
/// Typed System.CommandLine options whose bad values fail with our own one-line messages, each naming the option
/// ("--port must be a number from 1 to 65535, not '0'") instead of the library's type-conversion text.
/// </summary>
internal static class CliOptions
{
    /// <summary>
    /// An option with one value, turned into a <typeparamref name="T"/> by <paramref name="parse"/>, which throws
    /// <see cref="UsageException"/> on a bad one. <paramref name="choices"/>, when the values are a fixed few, are
    /// offered to shell completion (`stack [suggest] ...`, dotnet-suggest).
    /// </summary>
    public static Option<T> Value<T>(string name, string helpName, string description, Func<string, T> parse, params string[] choices)
    {
        var option = new Option<T>(name)
        {
            HelpName = helpName,
            Description = description,
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = result => Parse(result, name, parse),
        };
        if (choices.Length > 0)
        {
            option.CompletionSources.Clear(); // an enum's own member names (Bbr, NewReno) are not what the option reads
            option.CompletionSources.Add(choices);
        }
        return option;
    }

    /// <summary>A repeatable option (`--ip A --ip B`): one value per occurrence, all kept in order.</summary>
    public static Option<T[]> Repeated<T>(string name, string helpName, string description, Func<string, T> parse) => new(name)
    {
        HelpName = helpName,
        Description = description,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = result => ParseAll(result, name, parse),
    };

    /// <summary>A number from <paramref name="min"/> to <paramref name="max"/>; null when the option is not given.</summary>
    public static Option<int?> Int(string name, int min, int max, string description, string helpName = "N") =>
        Value<int?>(name, helpName, description, text => ParseInt(name, text, min, max));

    /// <summary>A switch: present or not, taking no value (so `--udp 192.0.2.1` leaves the address to HOST).</summary>
    public static Option<bool> Flag(string name, string description) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.Zero,
    };

    /// <summary>
    /// `on` or `off`; null when the option is not given. An enum, not a bool: System.CommandLine lets a bool option
    /// skip a value it cannot read ("--tap-offload maybe" would leave "maybe" over instead of naming the option).
    /// </summary>
    public static Option<Switch?> OnOff(string name, string description) => Value<Switch?>(name, "on|off", description, text => text switch
    {
        "on" => Switch.On,
        "off" => Switch.Off,
        _ => throw new UsageException($"{name} wants on or off, not '{text}'"),
    }, "on", "off");

    /// <summary>`--log-level LEVEL`, the levels of Microsoft.Extensions.Logging by their short names.</summary>
    public static Option<LogLevel?> LogLevel(LogLevel defaultLevel) => Value<LogLevel?>("--log-level", "LEVEL",
        $"trace, debug, info, warning, error, critical or none (default {StackArgs.LevelName(defaultLevel)}); logs go to stderr",
        text => StackArgs.ParseLevel(text), "trace", "debug", "info", "warning", "error", "critical", "none");

    public static int ParseInt(string name, string text, int min, int max) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, null, out int value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{name} must be a number from {min} to {max}, not '{text}'");

    private static T Parse<T>(ArgumentResult result, string name, Func<string, T> parse)
    {
        if (result.Tokens.Count != 1)
        {
            result.AddError(result.Tokens.Count == 0 ? $"{name} needs a value" : $"{name} given more than once");
            return default!;
        }
        try
        {
            return parse(result.Tokens[0].Value);
        }
        catch (UsageException e)
        {
            result.AddError(e.Message);
            return default!;
        }
    }

    private static T[] ParseAll<T>(ArgumentResult result, string name, Func<string, T> parse)
    {
        var values = new T[result.Tokens.Count];
        for (int i = 0; i < values.Length; i++)
        {
            try
            {
                values[i] = parse(result.Tokens[i].Value);
            }
            catch (UsageException e)
            {
                result.AddError(e.Message);
                return [];
            }
        }
        if (values.Length == 0) result.AddError($"{name} needs a value");
        return values;
    }
}

/// <summary>The value of an on|off option.</summary>
internal enum Switch
{
    Off,
    On,
}

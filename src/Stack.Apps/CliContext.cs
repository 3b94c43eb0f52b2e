namespace Stack.Apps;

/// <summary>
/// What a command's action works with: the standard streams <see cref="Cli.Run(string[], TextReader, TextWriter, TextWriter)"/>
/// was handed (tests pass string writers), never <see cref="Console"/> directly.
/// </summary>
public sealed record CliContext(TextReader Stdin, TextWriter Stdout, TextWriter Stderr);

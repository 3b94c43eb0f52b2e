namespace Stack.Apps.Commands;

/// <summary>Bad command-line arguments: printed as one line on stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

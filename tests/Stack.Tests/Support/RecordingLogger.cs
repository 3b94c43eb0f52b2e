using Microsoft.Extensions.Logging;

namespace Stack.Tests.Support;

/// <summary>An <see cref="ILogger"/> that keeps every entry at or above <see cref="MinimumLevel"/>, for tests that assert a log line.</summary>
internal sealed class RecordingLogger : ILogger
{
    public LogLevel MinimumLevel { get; init; } = LogLevel.Information;

    public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= MinimumLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Entries.Add((logLevel, formatter(state, exception), exception));
        }
    }
}

using Microsoft.Extensions.Logging;

namespace Stack.Tests.Support;

/// <summary>
/// An <see cref="ILogger"/> (and a factory handing out itself) that keeps every entry at or above
/// <see cref="MinimumLevel"/>, for tests that assert a log line. Safe to write from a loop thread.
/// </summary>
internal sealed class RecordingLogger : ILogger, ILoggerFactory
{
    private readonly Lock _gate = new();
    private readonly List<(LogLevel Level, string Message, Exception? Exception)> _entries = [];

    public LogLevel MinimumLevel { get; init; } = LogLevel.Information;

    /// <summary>What was logged so far, oldest first.</summary>
    public IReadOnlyList<(LogLevel Level, string Message, Exception? Exception)> Entries
    {
        get
        {
            lock (_gate) return [.. _entries];
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= MinimumLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            lock (_gate) _entries.Add((logLevel, formatter(state, exception), exception));
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }
}

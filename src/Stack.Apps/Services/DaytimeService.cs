using System.Globalization;
using System.Text;
using Stack.Sockets;

namespace Stack.Apps.Services;

/// <summary>
/// RFC 867 daytime: any datagram gets the date as one line, in ctime(3) form ("Wed Nov 25 15:04:05 2026\r\n"),
/// as the daytime server of UNIX Network Programming's figure 1.9 writes it. Over TCP, as figure 1.9 does it:
/// iterative, each accepted connection gets the line and is closed.
/// </summary>
public sealed class DaytimeService(TimeProvider time) : IDatagramService, IStreamService
{
    public const ushort WellKnownPort = 13;

    /// <summary>
    /// Each connection's send and receive buffers: a line out, nothing in. The 1 MiB defaults would be allocated
    /// and zeroed per connection and held through TIME_WAIT (which the server, closing first, goes through):
    /// at thousands of connections a second that costs more than everything else the connection does.
    /// </summary>
    public const int ConnectionBufferSize = 4096;

    // The line of the current second, formatted once that second rather than per connection (at 15,000
    // connections a second the formatting and its two strings cost more than the rest of the service). One
    // immutable pair, replaced whole: the datagram and stream sides may read it from different threads.
    private Line? _line;

    public string Name => "daytime";
    public ushort Port => WellKnownPort;

    public int Answer(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var line = CurrentLine().Span;
        line.CopyTo(reply);
        return line.Length;
    }

    public void Configure(StackSocket listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        listener.SendBufferSize = ConnectionBufferSize;
        listener.ReceiveBufferSize = ConnectionBufferSize;
        // Not corked: the line and the FIN in one segment (listener.Cork) measured 7 % fewer connections a second
        // over the TAP than two segments (docs/figures.md, 2026-12-07 03:39).
    }

    public Task ServeAsync(StackSocket listener, CancellationToken token) =>
        StreamServer.RunIterativeAsync(listener, (connection, t) => Completed(connection.SendAsync(CurrentLine(), t)), token);

    /// <summary>
    /// The date line for now, in ASCII. Its bytes are shared by every connection of the second and never
    /// written after they are made, so a send still waiting on one reads the same line.
    /// </summary>
    public ReadOnlyMemory<byte> CurrentLine()
    {
        var utc = time.GetUtcNow();
        long second = utc.UtcTicks / TimeSpan.TicksPerSecond;
        var line = _line;
        if (line is null || line.Second != second)
        {
            // Local offsets change on whole seconds, so the UTC second is the key for the local line too.
            line = new Line(second, Encoding.ASCII.GetBytes(Format(TimeZoneInfo.ConvertTime(utc, time.LocalTimeZone))));
            _line = line;
        }
        return line.Bytes;
    }

    /// <summary>
    /// The send as a task, without an async method's state per connection: a line always fits the connection's
    /// empty send buffer, so the send has completed (on the loop) and only its result is read, which hands the
    /// socket's send operation back.
    /// </summary>
    private static Task Completed(ValueTask<int> send)
    {
        if (!send.IsCompletedSuccessfully) return send.AsTask();
        send.GetAwaiter().GetResult();
        return Task.CompletedTask;
    }

    /// <summary>ctime's layout: day of the month padded with a space, not a zero; CR LF at the end.</summary>
    public static string Format(DateTimeOffset t) => string.Create(CultureInfo.InvariantCulture,
        $"{t:ddd} {t:MMM} {t.Day,2} {t:HH:mm:ss} {t.Year}\r\n");

    private sealed record Line(long Second, byte[] Bytes);
}

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

    public string Name => "daytime";
    public ushort Port => WellKnownPort;

    public int Answer(ReadOnlySpan<byte> request, Span<byte> reply) => Encoding.ASCII.GetBytes(Format(time.GetLocalNow()), reply);

    public void Configure(StackSocket listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        listener.SendBufferSize = ConnectionBufferSize;
        listener.ReceiveBufferSize = ConnectionBufferSize;
    }

    public Task ServeAsync(StackSocket listener, CancellationToken token) =>
        StreamServer.RunIterativeAsync(listener, async (connection, t) =>
            await connection.SendAsync(Encoding.ASCII.GetBytes(Format(time.GetLocalNow())), t), token);

    /// <summary>ctime's layout: day of the month padded with a space, not a zero; CR LF at the end.</summary>
    public static string Format(DateTimeOffset t) => string.Create(CultureInfo.InvariantCulture,
        $"{t:ddd} {t:MMM} {t.Day,2} {t:HH:mm:ss} {t.Year}\r\n");
}

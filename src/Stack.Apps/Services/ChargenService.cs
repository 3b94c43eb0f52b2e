using Stack.Sockets;

namespace Stack.Apps.Services;

/// <summary>
/// RFC 864 character generator over UDP: any datagram gets one of a random 0–512 characters, taken from the
/// RFC's rotating pattern: lines of 72 of the 95 printable ASCII characters, each line starting one character
/// further on, ended by CR LF. Each reply continues with the line after the one the previous reply began with.
/// Over TCP (concurrent) the pattern streams without end until the client closes (its FIN, or a RST).
/// </summary>
public sealed class ChargenService(Random random) : IDatagramService, IStreamService
{
    public const ushort WellKnownPort = 19;
    public const int MaxReply = 512;
    public const int LineLength = 72;
    private const int Printable = 95; // ' ' (32) to '~' (126)

    private int _line;

    public string Name => "chargen";
    public ushort Port => WellKnownPort;

    public int Answer(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        int length = random.Next(MaxReply + 1);
        Fill(reply[..length], _line);
        _line = (_line + 1) % Printable;
        return length;
    }

    public Task ServeAsync(StackSocket listener, CancellationToken token) =>
        StreamServer.RunConcurrentAsync(listener, StreamAsync, token);

    /// <summary>Sends the pattern until the client's end of file (read alongside) or an error.</summary>
    private static async Task StreamAsync(StackSocket connection, CancellationToken token)
    {
        // 95 lines of 74 bytes hold the whole rotation, so sending the block again continues the pattern. Eight
        // rotations (56 KiB) per send: each send lets TCP put out what the windows allow, and with writes of one
        // rotation (7 KiB, under 5 segments) its packets, and the TAP's GSO super-frames, stayed that small.
        var block = new byte[Printable * (LineLength + 2) * 8];
        Fill(block, 0);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var reading = StreamServer.Start(async () =>
        {
            var sink = new byte[4096];
            try
            {
                while (await connection.ReceiveAsync(sink, stop.Token) > 0)
                {
                }
            }
            finally
            {
                await stop.CancelAsync();
            }
        });
        try
        {
            while (!stop.IsCancellationRequested) await connection.SendAsync(block, stop.Token);
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await reading;
            }
            catch (Exception e) when (e is StackSocketException or OperationCanceledException)
            {
                // The reader ends with the connection.
            }
        }
    }

    /// <summary>Writes the pattern starting at line <paramref name="firstLine"/> into <paramref name="buffer"/>.</summary>
    public static void Fill(Span<byte> buffer, int firstLine)
    {
        int line = firstLine;
        for (int i = 0; i < buffer.Length;)
        {
            for (int c = 0; c < LineLength && i < buffer.Length; c++) buffer[i++] = (byte)(' ' + (line + c) % Printable);
            if (i < buffer.Length) buffer[i++] = (byte)'\r';
            if (i < buffer.Length) buffer[i++] = (byte)'\n';
            line = (line + 1) % Printable;
        }
    }
}

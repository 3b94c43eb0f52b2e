using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Stack.Sockets;
using Stack.Sockets.Hosting;

namespace Stack.Tests.Sockets;

/// <summary>
/// Just enough HTTP/1.1 on a stack socket to test clients against, with keep-alive: <c>GET /bytes/N</c> answers N
/// bytes of <see cref="Pattern"/>, <c>POST /sha256</c> the body's SHA-256 in hex, <c>GET /hang</c> never answers.
/// Counts the connections it accepted and the requests it read.
/// </summary>
internal sealed class MiniHttpServer : IDisposable
{
    private readonly StackSocket _listener;
    private readonly CancellationTokenSource _stop = new();
    private int _connections;
    private int _requests;

    public MiniHttpServer(StackInstance stack, AddressFamily family, int port)
    {
        _listener = StackSocket.Create(stack, family, SocketType.Stream);
        _listener.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, port));
        _listener.Listen(16);
        _ = Task.Run(AcceptLoop);
    }

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Requests whose head has arrived.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static byte Pattern(long i) => (byte)(i * 7 + (i >> 9));

    private async Task AcceptLoop()
    {
        try
        {
            while (true)
            {
                var connection = await _listener.AcceptAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _ = Task.Run(() => Serve(connection));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or StackSocketException or ObjectDisposedException)
        {
        }
    }

    private async Task Serve(StackSocket connection)
    {
        await using var stream = connection.GetStream(ownsSocket: true);
        var buffer = new byte[64 * 1024];
        int have = 0;
        try
        {
            while (true)
            {
                int end;
                while ((end = buffer.AsSpan(0, have).IndexOf("\r\n\r\n"u8)) < 0)
                {
                    int n = await stream.ReadAsync(buffer.AsMemory(have), _stop.Token);
                    if (n == 0) return;
                    have += n;
                }
                var head = Encoding.ASCII.GetString(buffer, 0, end).Split("\r\n");
                var request = head[0].Split(' ');
                Interlocked.Increment(ref _requests);
                long length = head.Skip(1).Select(h => h.Split(':', 2)).Where(h => h[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    .Select(h => long.Parse(h[1].Trim(), CultureInfo.InvariantCulture)).FirstOrDefault();
                int consumed = end + 4;
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long bodyLeft = length;
                int inBuffer = (int)Math.Min(bodyLeft, have - consumed);
                sha.AppendData(buffer, consumed, inBuffer);
                bodyLeft -= inBuffer;
                consumed += inBuffer;
                Array.Copy(buffer, consumed, buffer, 0, have - consumed);
                have -= consumed;
                while (bodyLeft > 0)
                {
                    int n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, bodyLeft)), _stop.Token);
                    if (n == 0) return;
                    sha.AppendData(buffer, 0, n);
                    bodyLeft -= n;
                }
                if (request[1] == "/hang") continue;
                if (request[1].StartsWith("/bytes/", StringComparison.Ordinal))
                    await AnswerBytes(stream, long.Parse(request[1]["/bytes/".Length..], CultureInfo.InvariantCulture));
                else
                    await Answer(stream, Encoding.ASCII.GetBytes(Convert.ToHexStringLower(sha.GetHashAndReset())));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or StackSocketException or IOException or ObjectDisposedException)
        {
        }
    }

    private async Task Answer(Stream stream, byte[] body)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n"), _stop.Token);
        await stream.WriteAsync(body, _stop.Token);
    }

    private async Task AnswerBytes(Stream stream, long count)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {count}\r\n\r\n"), _stop.Token);
        var chunk = new byte[32 * 1024];
        for (long sent = 0; sent < count;)
        {
            int n = (int)Math.Min(chunk.Length, count - sent);
            for (int i = 0; i < n; i++) chunk[i] = Pattern(sent + i);
            await stream.WriteAsync(chunk.AsMemory(0, n), _stop.Token);
            sent += n;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _stop.Dispose();
    }
}

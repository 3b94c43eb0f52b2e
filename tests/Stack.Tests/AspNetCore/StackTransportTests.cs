using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Stack.AspNetCore;
using Stack.Sockets;
using Stack.Sockets.Hosting;
using Stack.Sockets.Http;
using Stack.Tests.Support;

namespace Stack.Tests.AspNetCore;

/// <summary>
/// ASP.NET Core on the stack (<see cref="StackWebHostExtensions.UseStackTransport"/>): Kestrel on stack B, clients on
/// stack A (HttpClient through <see cref="StackHttp"/>, and raw sockets), on an in-memory link and the real clock.
/// Every test runs twice: with the connection pumps on the stack's loop (the default) and on the thread pool.
/// </summary>
public abstract class StackTransportTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly StackInstance _client;
    private readonly StackInstance _server;
    private readonly WebApplication _app;

    protected StackTransportTests(bool pumpOnLoop)
    {
        (_client, _server) = MemoryStacks.StartPair();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseStackTransport(_server, o => o.PumpOnLoop = pumpOnLoop);
        builder.WebHost.ConfigureKestrel(k => k.ListenAnyIP(8080));
        _app = builder.Build();
        _app.MapGet("/", (HttpContext c) => $"hello from {c.Connection.LocalIpAddress} to {c.Connection.RemoteIpAddress} on {c.Connection.Id}");
        _app.MapPost("/upload", async (HttpContext c) =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await c.Request.Body.ReadAsync(buffer)) > 0) sha.AppendData(buffer, 0, n);
            return Convert.ToHexStringLower(sha.GetHashAndReset());
        });
        _app.StartAsync().WaitAsync(Patience).GetAwaiter().GetResult();
    }

    [Theory]
    [InlineData("192.0.2.3")]
    [InlineData("[2001:db8::3]")]
    public async Task ListenAnyIP_serves_both_families_and_a_posted_megabyte_hashes_right(string host)
    {
        using var http = _client.CreateHttpClient();
        http.Timeout = Patience;
        var page = await http.GetStringAsync($"http://{host}:8080/");
        Assert.StartsWith($"hello from {host.Trim('[', ']')} to {(host.StartsWith('[') ? "2001:db8::2" : "192.0.2.2")}", page, StringComparison.Ordinal);

        var body = new byte[1 << 20];
        new Random(3).NextBytes(body);
        using var response = await http.PostAsync($"http://{host}:8080/upload", new ByteArrayContent(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Requests_in_turn_keep_one_connection()
    {
        using var http = _client.CreateHttpClient();
        http.Timeout = Patience;
        var connections = new HashSet<string>();
        for (int i = 0; i < 20; i++) connections.Add((await http.GetStringAsync("http://192.0.2.3:8080/")).Split(' ')[^1]);
        Assert.Single(connections);
    }

    [Fact]
    public async Task Stopping_the_host_closes_an_idle_keep_alive_connection_with_a_FIN()
    {
        using var socket = StackSocket.Create(_client, AddressFamily.InterNetwork, SocketType.Stream);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse("192.0.2.3"), 8080)).AsTask().WaitAsync(Patience);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: b\r\n\r\n"));
        var response = await ReadUntil(socket, "hello from");
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);

        await _app.StopAsync().WaitAsync(Patience);
        // End of stream, not a reset: Kestrel finished the connection and the transport sent its FIN.
        var buffer = new byte[100];
        Assert.Equal(0, await socket.ReceiveAsync(buffer).AsTask().WaitAsync(Patience));
    }

    private static async Task<string> ReadUntil(StackSocket socket, string text)
    {
        var all = new StringBuilder();
        var buffer = new byte[4096];
        while (!all.ToString().Contains(text, StringComparison.Ordinal))
        {
            int n = await socket.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
            Assert.NotEqual(0, n);
            all.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return all.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _client.Dispose();
        _server.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class StackTransportOnLoopTests() : StackTransportTests(pumpOnLoop: true);

public sealed class StackTransportOnThreadPoolTests() : StackTransportTests(pumpOnLoop: false);

using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Stack.Sockets;
using Stack.Sockets.Hosting;
using Stack.Sockets.Http;
using Stack.Tests.Support;

namespace Stack.Tests.Sockets;

/// <summary>
/// HttpClient over the stack (<see cref="StackHttp"/>): A's client against a small HTTP server on B's sockets, two
/// stacks from options on an in-memory link and the real clock (HTTP's delayed ACKs and timeouts need time to pass).
/// </summary>
public sealed class StackHttpTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public StackHttpTests() => (StackA, StackB) = MemoryStacks.StartPair();

    private StackInstance StackA { get; }
    private StackInstance StackB { get; }

    private static AddressFamily Family(bool v6) => v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    public void Dispose()
    {
        StackA.Dispose();
        StackB.Dispose();
    }

    private static string Url(bool v6, string path, int port = 8080) => v6 ? $"http://[2001:db8::3]:{port}{path}" : $"http://192.0.2.3:{port}{path}";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_and_post_a_megabyte_with_matching_hashes(bool v6)
    {
        using var server = new MiniHttpServer(StackB, Family(v6), 8080);
        using var http = StackA.CreateHttpClient();
        http.Timeout = Patience;

        var got = await http.GetByteArrayAsync(Url(v6, "/bytes/1048576"));
        Assert.Equal(1 << 20, got.Length);
        for (int i = 0; i < got.Length; i++)
        {
            if (got[i] != MiniHttpServer.Pattern(i)) Assert.Fail($"byte {i} is {got[i]}, not {MiniHttpServer.Pattern(i)}");
        }

        var body = new byte[1 << 20];
        new Random(7).NextBytes(body);
        using var response = await http.PostAsync(Url(v6, "/sha256"), new ByteArrayContent(body));
        response.EnsureSuccessStatusCode();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Twenty_requests_in_turn_reuse_one_connection()
    {
        using var server = new MiniHttpServer(StackB, Family(false), 8080);
        using var http = StackA.CreateHttpClient();
        http.Timeout = Patience;
        for (int i = 0; i < 20; i++) Assert.Equal(100, (await http.GetByteArrayAsync(Url(false, "/bytes/100"))).Length);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_cancelled_request_ends_and_the_next_one_works()
    {
        using var server = new MiniHttpServer(StackB, Family(false), 8080);
        using var http = StackA.CreateHttpClient();
        using var cancel = new CancellationTokenSource();
        var hanging = http.GetAsync(Url(false, "/hang"), cancel.Token);
        // Cancelled once the request is on the wire: its connection is then mid-exchange and cannot be reused.
        await WaitFor(() => server.Requests == 1);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hanging.WaitAsync(Patience));
        Assert.Equal(10, (await http.GetByteArrayAsync(Url(false, "/bytes/10")).WaitAsync(Patience)).Length);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_refused_connection_fails_the_request_with_the_sockets_error()
    {
        using var http = StackA.CreateHttpClient();
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(Url(false, "/", port: 8081)).WaitAsync(Patience));
        var inner = Assert.IsType<StackSocketException>(e.InnerException?.InnerException ?? e.InnerException);
        Assert.Equal(SocketError.ConnectionRefused, inner.SocketErrorCode);
    }

    [Fact]
    public async Task Names_need_a_DNS_server_or_a_resolver_and_go_through_it()
    {
        using var server = new MiniHttpServer(StackB, Family(true), 8080);
        using (var bare = StackA.CreateHttpClient())
        {
            var e = await Assert.ThrowsAsync<HttpRequestException>(() => bare.GetAsync("http://b.example:8080/bytes/1").WaitAsync(Patience));
            Assert.Contains("no DNS server", e.Message + e.InnerException?.Message, StringComparison.Ordinal);
        }
        var asked = new List<string>();
        using var http = StackA.CreateHttpClient((host, _) =>
        {
            asked.Add(host);
            // The IPv4 address has no server (RST): the client goes on to the next address.
            return ValueTask.FromResult(new[] { IPAddress.Parse("192.0.2.3"), IPAddress.Parse("2001:db8::3") });
        });
        Assert.Single(await http.GetByteArrayAsync("http://b.example:8080/bytes/1").WaitAsync(Patience));
        Assert.Equal(["b.example"], asked);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(5);
        }
    }
}

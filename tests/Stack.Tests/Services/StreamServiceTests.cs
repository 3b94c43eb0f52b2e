using System.Net;
using System.Net.Sockets;
using System.Text;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.Sockets;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;

namespace Stack.Tests.Services;

/// <summary>
/// The TCP services, served by <see cref="ServiceHost"/> on stack b (on its event loop, as `stack serve` runs them),
/// used from stack a over an in-memory link.
/// </summary>
public class StreamServiceTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly StackInstance _a;
    private readonly StackInstance _b;
    private readonly ServiceHost _services;

    public StreamServiceTests()
        : this(onLoop: true)
    {
    }

    protected StreamServiceTests(bool onLoop)
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        _a = StackInstance.Start("a", linkA, Options(2));
        ServiceHost? services = null;
        _b = StackInstance.Start("b", linkB, Options(3),
            configure: s => services = ServiceHost.Start(s, ["daytime", "echo", "discard", "chargen"], onLoop: onLoop));
        _services = services!;
    }

    public void Dispose()
    {
        _services.Dispose();
        _a.Dispose();
        _b.Dispose();
        GC.SuppressFinalize(this);
    }

    private static IpHostOptions Options(byte last) => new()
    {
        Mac = new MacAddress(0x0200_0000_0000UL | last),
        Addresses = [InterfaceAddress.Parse($"192.0.2.{last}/24"), InterfaceAddress.Parse($"2001:db8::{last}/64")],
    };

    private async Task<StackSocket> Connect(string address, int port)
    {
        var ip = IPAddress.Parse(address);
        var socket = StackSocket.Create(_a, ip.AddressFamily, SocketType.Stream);
        await socket.ConnectAsync(new IPEndPoint(ip, port)).AsTask().WaitAsync(Patience);
        return socket;
    }

    private static async Task<string> ReadToEnd(StackSocket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer).AsTask().WaitAsync(Patience)) > 0) text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        return text.ToString();
    }

    [Theory]
    [InlineData("192.0.2.3")]
    [InlineData("2001:db8::3")]
    public async Task Daytime_writes_one_ctime_line_and_closes(string address)
    {
        for (int i = 0; i < 3; i++) // iterative: one after another
        {
            using var socket = await Connect(address, 13);
            var line = await ReadToEnd(socket);
            Assert.Matches(@"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\r\n$", line);
        }
    }

    [Fact]
    public async Task Echo_serves_two_clients_at_once_and_closes_after_their_end_of_file()
    {
        using var first = await Connect("192.0.2.3", 7);
        using var second = await Connect("2001:db8::3", 7);
        await second.SendAsync(Encoding.ASCII.GetBytes("two\n"));
        await first.SendAsync(Encoding.ASCII.GetBytes("one\n"));
        var buffer = new byte[100];
        int n = await second.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal("two\n", Encoding.ASCII.GetString(buffer, 0, n));
        first.Shutdown(SocketShutdown.Send);
        Assert.Equal("one\n", await ReadToEnd(first));
    }

    [Fact]
    public async Task Discard_takes_everything_and_chargen_streams_the_pattern()
    {
        using (var discard = await Connect("192.0.2.3", 9))
        {
            await discard.SendAsync(new byte[100_000]).AsTask().WaitAsync(Patience);
            discard.Shutdown(SocketShutdown.Send);
            Assert.Equal("", await ReadToEnd(discard));
        }

        using var chargen = await Connect("192.0.2.3", 19);
        var got = new MemoryStream();
        var buffer = new byte[8192];
        while (got.Length < 20_000)
        {
            int n = await chargen.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
            Assert.True(n > 0);
            got.Write(buffer, 0, n);
        }
        var expected = new byte[got.Length];
        ChargenService.Fill(expected, 0);
        Assert.Equal(expected, got.ToArray());
    }
}

/// <summary>The same services run on the thread pool (<c>onLoop: false</c>), as an embedder may still choose.</summary>
public sealed class StreamServiceOnPoolTests() : StreamServiceTests(onLoop: false);

using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Stack.AspNetCore;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Sockets;
using Stack.Sockets.Hosting;
using Stack.Sockets.Http;

namespace Stack.Tests.Docs;

/// <summary>
/// The README's C# snippets, verbatim, so the compiler checks them; <see cref="ReadmeSnippetTests"/> checks the README
/// still shows exactly these lines. Compiled, never run (a TAP needs root).
/// </summary>
internal static class ReadmeSnippets
{
    public static async Task All(byte[] buffer, CancellationToken cancellationToken)
    {
        // snippet: start
        using var stack = StackInstance.Start(new StackOptions
        {
            Link = StackLink.Tap("tap0"),
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
            GatewayV4 = Ipv4Address.Parse("192.0.2.1"),
        });
        // snippet: end
        await Datagram(stack, buffer, cancellationToken);
        await Stream(stack, cancellationToken);
        await Http(stack, cancellationToken);
        await Web(stack, cancellationToken);
    }

    private static async Task Datagram(StackInstance stack, byte[] buffer, CancellationToken cancellationToken)
    {
        // snippet: start
        using var socket = StackSocket.Create(stack, AddressFamily.InterNetwork, SocketType.Dgram);
        socket.Bind(new IPEndPoint(IPAddress.Any, 7));
        var got = await socket.ReceiveFromAsync(buffer, cancellationToken);
        await socket.SendToAsync(buffer.AsMemory(0, got.ReceivedBytes), (IPEndPoint)got.RemoteEndPoint, cancellationToken);
        // snippet: end
    }

    private static async Task Stream(StackInstance stack, CancellationToken cancellationToken)
    {
        // snippet: start
        using var listener = StackSocket.Create(stack, AddressFamily.InterNetwork, SocketType.Stream);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7));
        listener.Listen(128);
        using var connection = await listener.AcceptAsync(cancellationToken);   // a connected StackSocket
        await using var stream = connection.GetStream();                        // StackNetworkStream : Stream
        await stream.CopyToAsync(stream, cancellationToken);                    // echo until the client's FIN
        // snippet: end
    }

    private static async Task Http(StackInstance stack, CancellationToken cancellationToken)
    {
        // snippet: start
        using var http = stack.CreateHttpClient();
        var page = await http.GetStringAsync("http://192.0.2.1/", cancellationToken);
        // snippet: end
        GC.KeepAlive(page);
    }

    private static async Task Web(StackInstance stack, CancellationToken cancellationToken)
    {
        // snippet: start
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseStackTransport(stack);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(80));
        var app = builder.Build();
        app.MapGet("/", () => "hello from Stack\n");
        await app.StartAsync(cancellationToken);
        // snippet: end
    }
}

// HelloStack: a program that embeds the stack. It brings a stack up on a TAP device, serves a web page with
// ASP.NET Core on the stack's TCP port 80, fetches that page through the stack with HttpClient when asked, and
// stops on Ctrl-C or SIGTERM.
//
//   dotnet run -- --tap tap0 --ip 192.0.2.2/24 [--ip 2001:db8::2/64] [--fetch http://192.0.2.1/]
//
// Root (or CAP_NET_ADMIN) and /dev/net/tun are needed for the TAP; scripts/tap-setup makes one in a namespace.
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Stack.AspNetCore;
using Stack.IP.Routing;
using Stack.Sockets.Hosting;
using Stack.Sockets.Http;

string? tap = null;
string? fetch = null;
var addresses = new List<InterfaceAddress>();
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--tap": tap = args[i + 1]; break;
        case "--ip": addresses.Add(InterfaceAddress.Parse(args[i + 1])); break;
        case "--fetch": fetch = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (tap is null || addresses.Count == 0)
{
    Console.Error.WriteLine("usage: HelloStack --tap NAME --ip ADDR/PREFIX [--ip ...] [--fetch URL]");
    return 2;
}

// The stack: a link and its addresses. Disposing it stops the event loop and closes the TAP.
using var stack = StackInstance.Start(new StackOptions
{
    Link = StackLink.Tap(tap),
    Addresses = addresses,
});

// ASP.NET Core served by the stack's TCP instead of the host's sockets.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseStackTransport(stack);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(80));
var app = builder.Build();
app.MapGet("/", () => "hello from a .NET program on Stack\n");
await app.StartAsync();
Console.WriteLine($"serving http on {string.Join(", ", stack.Host.Addresses)} port 80");

// HttpClient whose connections are the stack's.
if (fetch is not null)
{
    using var http = stack.CreateHttpClient();
    Console.Write(await http.GetStringAsync(fetch));
}

using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
await app.StopAsync();
Console.WriteLine("stopped");
return 0;

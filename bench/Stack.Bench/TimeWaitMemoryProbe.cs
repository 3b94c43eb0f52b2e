using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Sockets.Simulation;
using Stack.Tcp;

namespace Stack.Bench;

/// <summary>
/// `timewait [--count N] [--keep]`: N daytime connections between two virtual stacks whose server ends all stay in
/// TIME-WAIT (MSL 30 s of virtual time; the run takes a few seconds of it), then the managed heap they hold, per
/// connection in TIME-WAIT. By default both connection objects are released as the socket layer does
/// (TcpConnection.Release), so only the compact records stay; with --keep the server's is held, as the table held
/// it before records (the record is then held besides).
/// </summary>
internal static class TimeWaitMemoryProbe
{
    private static readonly IpAddress Server = IpAddress.Parse("192.0.2.2");

    public static int Run(string[] args)
    {
        int count = 10_000;
        bool keep = args.Contains("--keep");
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--count") count = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
        }
        var net = new VirtualNetwork(TimeSpan.FromMicroseconds(50));
        var a = net.AddHost(Host(1), seed: 1);
        var b = net.AddHost(Host(2), seed: 2);
        var listener = b.Tcp.Listen(Server, 13, 16);
        var reply = "Sun Dec  6 21:12:00 2026\r\n"u8.ToArray();
        var buffer = new byte[256];
        var held = new List<TcpConnection>(keep ? count : 0);
        Life(); // Warm up the tables, pools and ARP before the first measurement.
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < count; i++) Life();
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"{b.Tcp.TimeWaitCount} in TIME-WAIT: {(double)(after - before) / count:F0} bytes held per connection ({(keep ? "connection objects held" : "released: records only")})");
        GC.KeepAlive(held);
        return 0;

        void Life()
        {
            var client = a.Tcp.Connect(null, 0, Server, 13, null, net.Now);
            TcpConnection? server;
            while (!listener.TryAccept(out server)) Step();
            server.Send(reply, net.Now);
            server.Close(net.Now);
            while (!client.IsEndOfStream)
            {
                client.Receive(buffer, net.Now);
                if (!client.IsEndOfStream) Step();
            }
            client.Close(net.Now);
            while (client.State != TcpState.Closed || server.State != TcpState.TimeWait) Step();
            client.Release(); // CLOSED: nothing refers to it either way.
            if (keep)
            {
                held.Add(server); // As before records: the table held the whole connection through TIME-WAIT.
            }
            else
            {
                server.Release();
            }
        }

        void Step()
        {
            if (!net.Step()) throw new InvalidOperationException("The network went idle before the connection ended.");
        }
    }

    private static IpHostOptions Host(byte last) => new()
    {
        Mac = new MacAddress(0x0200_0000_0000UL | last),
        Addresses = [InterfaceAddress.Parse($"192.0.2.{last}/24")],
    };
}

using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Stack.TcpClients;

/// <summary>
/// Kernel discard (9), echo (7), daytime (13) and chargen (19) servers on one address: the other end of the
/// kernel-to-kernel rows. Chargen streams a fixed 256 KiB block as fast as the socket takes it (the bulk sender of
/// the kernel → kernel row; not RFC 864's pattern, which only the stack's own service keeps). Daytime answers on its accept thread (no thread per connection: that would be what we measured);
/// discard and echo get a thread per connection, as they are long-lived.
/// </summary>
internal static class Servers
{
    public static void Run(string address)
    {
        var ip = IPAddress.Parse(address);
        var threads = new[]
        {
            Listen(ip, 9, c => Serve(c, Discard)),
            Listen(ip, 7, c => Serve(c, Echo)),
            Listen(ip, 13, Daytime),
            Listen(ip, 19, c => Serve(c, Chargen)),
        };
        Console.WriteLine("serving");
        foreach (var t in threads) t.Join();
    }

    private static Thread Listen(IPAddress ip, int port, Action<Socket> handle)
    {
        var listener = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(ip, port));
        listener.Listen(1024);
        var thread = new Thread(() =>
        {
            while (true) handle(listener.Accept());
        }) { IsBackground = true, Name = $"listen {port}" };
        thread.Start();
        return thread;
    }

    private static void Serve(Socket c, Action<Socket> body) =>
        new Thread(() =>
        {
            using (c)
            {
                try { body(c); }
                catch (SocketException) { }
            }
        }) { IsBackground = true }.Start();

    private static void Discard(Socket c)
    {
        var buffer = new byte[1 << 20];
        while (c.Receive(buffer) > 0)
        {
        }
    }

    private static void Chargen(Socket c)
    {
        c.SendBufferSize = 4 << 20;
        var block = new byte[256 << 10];
        for (int i = 0; i < block.Length; i++) block[i] = (byte)(' ' + i % 95);
        while (true) c.Send(block);
    }

    private static void Echo(Socket c)
    {
        c.NoDelay = true;
        var buffer = new byte[65536];
        int n;
        while ((n = c.Receive(buffer)) > 0) c.Send(buffer.AsSpan(0, n));
    }

    private static void Daytime(Socket c)
    {
        using (c)
        {
            try { c.Send(Encoding.ASCII.GetBytes(DateTime.Now.ToString("ddd MMM dd HH:mm:ss yyyy\r\n", System.Globalization.CultureInfo.InvariantCulture))); }
            catch (SocketException) { }
        }
    }
}

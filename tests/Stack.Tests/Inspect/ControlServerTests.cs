using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Stack.Sockets;
using Stack.Sockets.Control;
using Stack.Sockets.Hosting;
using Stack.Tests.Support;

namespace Stack.Tests.Inspect;

/// <summary>The control socket over a real Unix-domain socket, in front of a stack pair on an in-memory link.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ControlServerTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly (StackInstance A, StackInstance B) _stacks = MemoryStacks.StartPair();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"stack-control-{Guid.NewGuid():N}");

    private StackInstance StackA => _stacks.A;
    private StackInstance StackB => _stacks.B;

    private string SocketPath => Path.Combine(_directory, "a.sock");

    [Fact]
    public async Task Sockets_lists_a_listener_with_its_backlog_and_a_connection_with_its_internals()
    {
        using var listener = StackSocket.Create(StackA, AddressFamily.InterNetwork, SocketType.Stream);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7));
        listener.Listen(5);
        var accepting = listener.AcceptAsync();
        using var client = StackSocket.Create(StackB, AddressFamily.InterNetwork, SocketType.Stream);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Parse("192.0.2.2"), 7)).AsTask().WaitAsync(Patience);
        using var accepted = await accepting.AsTask().WaitAsync(Patience);
        await client.SendAsync(new byte[300]);
        using var server = ControlServer.Start(StackA, SocketPath);

        // Until the 300 bytes are in (the link is in memory, but the stacks run on their own threads).
        var deadline = DateTime.UtcNow + Patience;
        ControlResponse reply;
        do reply = await Task.Run(() => ControlClient.Ask(SocketPath, ControlProtocol.Sockets));
        while (reply.Sockets?.Any(s => s.State == "ESTAB" && s.RecvQ == 300) != true && DateTime.UtcNow < deadline);

        Assert.True(reply.Ok, reply.Error);
        var sockets = reply.Sockets!;
        var listen = Assert.Single(sockets, s => s.State == "LISTEN");
        Assert.Equal(("tcp", "0.0.0.0", 7, 5L), (listen.Protocol, listen.LocalAddress, listen.LocalPort, listen.SendQ));
        var connection = Assert.Single(sockets, s => s.State == "ESTAB" && s.Protocol == "tcp");
        Assert.Equal(("192.0.2.2", 7, "192.0.2.3", client.LocalEndPoint is IPEndPoint p ? p.Port : -1),
            (connection.LocalAddress, connection.LocalPort, connection.PeerAddress, connection.PeerPort));
        var tcp = connection.Tcp!;
        Assert.Equal("cubic", tcp.CongestionControl);
        Assert.True(tcp.Cwnd >= 10, $"cwnd {tcp.Cwnd}");
        Assert.True(tcp.Mss > 0);
        Assert.Equal(300, tcp.BytesReceived);
        Assert.Equal(300, connection.RecvQ); // not read yet
    }

    [Fact]
    public async Task Counters_and_hello_answer()
    {
        using var server = ControlServer.Start(StackA, SocketPath);
        var counters = await Task.Run(() => ControlClient.Ask(SocketPath, ControlProtocol.Counters));
        var hello = await Task.Run(() => ControlClient.Ask(SocketPath, ControlProtocol.Hello));

        Assert.True(counters.Ok, counters.Error);
        Assert.NotEmpty(counters.Counters!);
        Assert.True(hello.Ok, hello.Error);
        Assert.Equal((StackA.Name, Environment.ProcessId), (hello.Hello!.Name, hello.Hello.Pid));
        Assert.Contains("192.0.2.2/24", hello.Hello.Addresses);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1,2]", "a request is a JSON object")]
    [InlineData("{\"command\":\"sockets\"}", "no version")]
    [InlineData("{\"v\":2,\"command\":\"sockets\"}", "version 2 is not spoken")]
    [InlineData("{\"v\":1}", "names no command")]
    [InlineData("{\"v\":1,\"command\":\"reboot\"}", "unknown command 'reboot'")]
    public async Task A_bad_request_gets_an_error_and_the_connection_still_serves(string request, string error)
    {
        using var server = ControlServer.Start(StackA, SocketPath);
        using var raw = Connect();
        var lines = await Exchange(raw, request + "\n" + "{\"v\":1,\"command\":\"hello\"}\n", 2);

        var bad = ControlProtocol.DecodeResponse(Encoding.UTF8.GetBytes(lines[0]))!;
        Assert.False(bad.Ok);
        Assert.Contains(error, bad.Error, StringComparison.Ordinal);
        Assert.True(ControlProtocol.DecodeResponse(Encoding.UTF8.GetBytes(lines[1]))!.Ok);
    }

    [Fact]
    public async Task An_oversized_request_gets_an_error_and_is_hung_up_on()
    {
        using var server = ControlServer.Start(StackA, SocketPath);
        using var raw = Connect();
        var lines = await Exchange(raw, new string('x', ControlProtocol.MaxRequestBytes * 4), 1);

        var reply = ControlProtocol.DecodeResponse(Encoding.UTF8.GetBytes(lines[0]))!;
        Assert.False(reply.Ok);
        Assert.Contains("longer than 4096", reply.Error, StringComparison.Ordinal);
        Assert.Equal(0, await raw.ReceiveAsync(new byte[16]).WaitAsync(Patience)); // closed
        Assert.Equal(1, server.Refused);
        // The stack is not disturbed: the next client is served.
        Assert.True((await Task.Run(() => ControlClient.Ask(SocketPath, ControlProtocol.Hello))).Ok);
    }

    [SkippableFact]
    public void The_socket_is_private_a_stale_one_is_replaced_and_a_live_one_kept()
    {
        Skip.If(!Tools.Has("python3"), "needs python3 to leave a stale socket file");
        using (var first = ControlServer.Start(StackA, SocketPath))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
            var e = Assert.Throws<ControlSocketInUseException>(() => ControlServer.Start(StackB, SocketPath));
            Assert.Contains("already running", e.Message, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(SocketPath)); // removed on dispose

        // A socket file nobody listens on (a stack that was killed) is taken over. (A .NET socket removes its file
        // when disposed, so a process that exits leaves the stale one.)
        Assert.Equal(0, Tools.Run($"python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('{SocketPath}')\"").Code);
        Assert.True(File.Exists(SocketPath));
        using var second = ControlServer.Start(StackA, SocketPath);
        Assert.True(ControlClient.Ask(SocketPath, ControlProtocol.Hello).Ok);
    }

    [SkippableFact]
    public void Running_lists_the_stacks_that_answer_and_drops_stale_sockets()
    {
        Skip.If(!Tools.Has("python3"), "needs python3 to leave a stale socket file");
        string live = $"live-test-{Environment.ProcessId}", stale = $"stale-test-{Environment.ProcessId}";
        using var server = ControlServer.Start(StackA, ControlPaths.For(live));
        Assert.Equal(0, Tools.Run($"python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('{ControlPaths.For(stale)}')\"").Code);

        var running = ControlPaths.Running();

        Assert.Contains(live, running);
        Assert.DoesNotContain(stale, running);
        Assert.False(File.Exists(ControlPaths.For(stale)));
    }

    [Fact]
    public void A_directory_open_to_others_is_refused()
    {
        Directory.CreateDirectory(_directory);
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
        var e = Assert.Throws<ControlSocketException>(() => ControlServer.Start(StackA, SocketPath));
        Assert.Contains("open to group or others", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Another_user_is_refused_even_when_the_file_system_would_let_it_in()
    {
        Skip.If(ControlPaths.EffectiveUid != 0 || !Tools.Has("setpriv") || !File.Exists("/usr/bin/python3"),
            "needs root, setpriv and python3 to connect as nobody");
        using var server = ControlServer.Start(StackA, SocketPath);
        // Open the door on purpose: the uid check (SO_PEERCRED) must hold on its own.
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(SocketPath, (UnixFileMode)0b110_110_110);
        const string Client = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n" +
            "s.sendall(b'{\"v\":1,\"command\":\"sockets\"}\\n')\nprint(s.makefile().readline().strip())";
        var output = await Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", Client, SocketPath);

        var reply = ControlProtocol.DecodeResponse(Encoding.UTF8.GetBytes(output.Trim()))!;
        Assert.False(reply.Ok);
        Assert.Contains("permission denied", reply.Error, StringComparison.Ordinal);
        Assert.Null(reply.Sockets);
        Assert.Equal(1, server.Refused);

        // With the directory private again, nobody does not even reach the socket.
        File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var denied = await Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", Client, SocketPath);
        Assert.Contains("PermissionError", denied, StringComparison.Ordinal);
    }

    private Socket Connect()
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(SocketPath));
        return s;
    }

    private static async Task<List<string>> Exchange(Socket socket, string send, int replies)
    {
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(send));
        }
        catch (SocketException)
        {
            // The server may hang up on an oversized request before taking all of it; its reply is still there.
        }
        var text = new StringBuilder();
        var buffer = new byte[65536];
        while (text.ToString().Count(c => c == '\n') < replies)
        {
            int n = await socket.ReceiveAsync(buffer).WaitAsync(Patience);
            if (n == 0) break;
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return [.. text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static async Task<string> Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(Patience);
        return await stdout + await stderr;
    }

    public void Dispose()
    {
        _stacks.A.Dispose();
        _stacks.B.Dispose();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}

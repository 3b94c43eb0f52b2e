using System.Text.RegularExpressions;
using Stack.Sockets.Hosting;
using Stack.Apps.Services;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Tap;
using Stack.Link.Wire;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// UDP against the Linux kernel in a namespace the test creates: the kernel's nc and sockets against the
/// stack's services on tap0 (192.0.2.2, 2001:db8::2), and the stack's `daytime`/`echo` commands on tap1
/// (192.0.2.3, 2001:db8::3) against kernel servers on br0 (192.0.2.1, 2001:db8::1).
/// </summary>
public sealed partial class UdpInteropTests(ITestOutputHelper output)
{
    private static readonly MacAddress StackMac = new(0x0200_5354_0002UL);

    [GeneratedRegex(@"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d\d:\d\d:\d\d \d{4}\r?$", RegexOptions.Multiline)]
    private static partial Regex CtimeLine();

    internal static StackInstance StartStack(TestNamespace ns, Action<StackInstance>? configure = null)
    {
        var options = new IpHostOptions
        {
            Mac = StackMac,
            Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
        };
        var stack = StackInstance.Start("tap0", TapDevice.Open("tap0", netns: ns.Name), options, configure: configure);
        ns.WaitUntilForwarding("tap0");
        return stack;
    }

    private (int Code, string Out) Run(TestNamespace ns, string command, int seconds = 30)
    {
        var (code, stdout, stderr) = ns.Exec(command, TimeSpan.FromSeconds(seconds));
        output.WriteLine($"$ {command}  (exit {code})\n{stdout}{stderr}");
        return (code, stdout);
    }

    /// <summary>UDP may lose the first datagram while neighbours resolve: up to three tries, each bounded by timeout(1).</summary>
    private string RunUntil(TestNamespace ns, string command, Func<string, bool> ok)
    {
        string text = "";
        for (int attempt = 0; attempt < 3; attempt++)
        {
            (_, text) = Run(ns, command);
            if (ok(text)) break;
        }
        return text;
    }

    [SkippableFact]
    public void Kernel_nc_gets_echo_and_daytime_from_the_stack_in_both_families()
    {
        TapRequirement.Check("nc");
        using var ns = TestNamespace.Create(taps: 1);
        ServiceHost? started = null;
        using var stack = StartStack(ns, s => started = ServiceHost.Start(s, ["daytime", "echo"]));
        using var services = started!;

        foreach (var (flag, address) in new[] { ("-4", "192.0.2.2"), ("-6", "2001:db8::2") })
        {
            var echoed = RunUntil(ns, $"printf 'hello\\nworld\\n' | timeout 3 nc {flag} -u -w1 {address} 7", t => t.Contains("world", StringComparison.Ordinal));
            Assert.Equal("hello\nworld\n", echoed);

            var date = RunUntil(ns, $"printf 'x' | timeout 3 nc {flag} -u -w1 {address} 13", t => t.Length > 0);
            Assert.Matches(CtimeLine(), date);
        }
        Assert.True(stack.Udp.Statistics.DatagramsReceived >= 4, "each nc run is at least one datagram");
    }

    [SkippableFact]
    public void Kernel_socket_sending_to_a_closed_port_sees_connection_refused_in_both_families()
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create(taps: 1);
        using var stack = StartStack(ns);
        var script = WriteScript("refused.py", RefusedScript);
        try
        {
            foreach (var address in new[] { "192.0.2.2", "2001:db8::2" })
            {
                var (code, text) = Run(ns, $"timeout 15 python3 {script} {address} 4444");
                Assert.Equal(0, code);
                Assert.EndsWith("refused\n", text, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(script);
        }
    }

    [SkippableTheory]
    [InlineData("192.0.2.1", "192.0.2.3/24")]
    [InlineData("2001:db8::1", "2001:db8::3/64")]
    public void Stack_daytime_and_echo_commands_work_against_kernel_servers(string server, string ip)
    {
        TapRequirement.Check("python3", "dotnet");
        using var ns = TestNamespace.Create(taps: 2);
        var script = WriteScript("servers.py", """
            import select, socket, sys, time
            family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
            servers = []
            for port, mode in ((7, "echo"), (13, "daytime")):
                s = socket.socket(family, socket.SOCK_DGRAM)
                s.bind((sys.argv[1], port))
                servers.append((s, mode))
            print("ready", flush=True)
            end = time.time() + 60
            while time.time() < end:
                ready, _, _ = select.select([s for s, _ in servers], [], [], 1)
                for s, mode in servers:
                    if s in ready:
                        data, peer = s.recvfrom(65535)
                        s.sendto(data if mode == "echo" else time.strftime("%a %b %e %H:%M:%S %Y\r\n").encode(), peer)
            """);
        try
        {
            using var servers = ns.StartBackground($"python3 {script} {server}");
            servers.WaitForOutput("ready");

            var stack = $"dotnet {Path.Combine(AppContext.BaseDirectory, "stack.dll")}";
            var (code, text) = Run(ns, $"printf 'one\\ntwo words\\nthree\\n' | {stack} echo {server} --udp --tap tap1 --ip {ip} --timeout 10", 60);
            Assert.Equal(0, code);
            Assert.Equal("one\ntwo words\nthree\n", text);

            (code, text) = Run(ns, $"{stack} daytime {server} --udp --tap tap1 --ip {ip} --timeout 10", 60);
            Assert.Equal(0, code);
            Assert.Matches(CtimeLine(), text);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [SkippableFact]
    public void Stack_echo_command_reports_a_refusing_kernel_and_exits_1()
    {
        TapRequirement.Check("dotnet");
        using var ns = TestNamespace.Create(taps: 2);
        var stack = $"dotnet {Path.Combine(AppContext.BaseDirectory, "stack.dll")}";

        var (code, stdout, stderr) = ns.Exec($"printf 'x\\n' | {stack} echo 192.0.2.1 --udp --port 4444 --tap tap1 --ip 192.0.2.3/24 --timeout 10",
            TimeSpan.FromSeconds(60));
        output.WriteLine($"exit {code}\n{stdout}{stderr}");

        Assert.Equal(1, code);
        Assert.Contains("refused", stderr, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public void Stack_serve_runs_only_the_services_it_is_given()
    {
        TapRequirement.Check("nc", "python3", "dotnet");
        using var ns = TestNamespace.Create(taps: 1);
        var stack = $"dotnet {Path.Combine(AppContext.BaseDirectory, "stack.dll")}";
        using var serve = ns.StartBackground($"{stack} serve --tap tap0 --ip 192.0.2.2/24 --ip 2001:db8::2/64 --services echo");
        serve.WaitForError("services on UDP", seconds: 20);
        Assert.True(serve.StdErr.Contains("services on UDP: echo 7", StringComparison.Ordinal), $"stack serve did not come up:\n{serve.StdErr}");
        ns.WaitUntilForwarding("tap0");

        var echoed = RunUntil(ns, "printf 'served\n' | timeout 3 nc -6 -u -w1 2001:db8::2 7", t => t.Length > 0);
        Assert.Equal("served\n", echoed);

        var script = WriteScript("refused.py", RefusedScript);
        try
        {
            var (_, text) = Run(ns, $"timeout 15 python3 {script} 192.0.2.2 13");
            Assert.EndsWith("refused\n", text, StringComparison.Ordinal); // daytime was not asked for
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>A connected kernel UDP socket sends to argv[1]:argv[2] and reports what came back (up to three tries).</summary>
    private const string RefusedScript = """
        import socket, sys
        family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.connect((sys.argv[1], int(sys.argv[2])))
        for attempt in range(3):
            s.send(b"anyone?")
            try:
                s.recv(100)
                print("answered")
                break
            except ConnectionRefusedError:
                print("refused")
                break
            except socket.timeout:
                print("timeout")
        """;

    internal static string WriteScript(string name, string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"stack-{Environment.ProcessId}-{Guid.NewGuid():N}-{name}");
        File.WriteAllText(path, text);
        return path;
    }
}

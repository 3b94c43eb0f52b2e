using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// `stack serve` binds its services before its link comes up: a client that is already sending when the process
/// starts never meets ICMP port unreachable or a RST from a port the stack serves (issue 12). It used to: the loop
/// answered ARP and handled frames before the services were bound, and 4 starts in 20 refused the first probe.
/// </summary>
public sealed class ServeStartupInteropTests(ITestOutputHelper output)
{
    private const int Starts = 20;
    private const string StackMac = "02:00:53:54:00:22";

    [SkippableFact]
    public void The_first_datagrams_and_SYNs_after_start_are_answered_never_refused_in_both_families()
    {
        TapRequirement.Check("python3", "dotnet");
        using var ns = TestNamespace.Create(taps: 1);
        // Permanent neighbour entries: the kernel sends at once, without waiting for ARP or neighbour discovery,
        // so the probes reach the stack in the first frames it reads, ahead of anything it sends.
        ns.ExecOk($"ip neigh replace 192.0.2.2 lladdr {StackMac} dev br0 nud permanent");
        ns.ExecOk($"ip -6 neigh replace 2001:db8::2 lladdr {StackMac} dev br0 nud permanent");
        var script = UdpInteropTests.WriteScript("startup-probe.py", ProbeScript);
        var stack = Path.Combine(AppContext.BaseDirectory, "stack.dll");
        try
        {
            for (int start = 1; start <= Starts; start++)
            {
                using var probe = ns.StartBackground($"exec python3 {script} 20");
                probe.WaitForOutput("probing");
                using var serve = ns.StartBackground(
                    $"exec dotnet {stack} serve --tap tap0 --ip 192.0.2.2/24 --ip 2001:db8::2/64 --mac {StackMac} --services echo,daytime");
                bool ended = probe.WaitForExit(TimeSpan.FromSeconds(25));
                serve.Signal("TERM");
                Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(15)), $"start {start}: stack serve did not stop on SIGTERM");
                output.WriteLine($"start {start}: {probe.StdOut.Trim().Replace('\n', ';')}");
                Assert.True(ended, $"start {start}: the probe did not finish:\n{probe.StdOut}{probe.StdErr}");
                Assert.True(probe.ExitCode == 0, $"start {start}: {probe.StdOut}{probe.StdErr}\nstack serve:\n{serve.StdErr}");
            }
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>
    /// Sends UDP to port 7 from connected sockets (ECONNREFUSED on port unreachable) and connects TCP to ports 7
    /// and 13 (ECONNREFUSED on a RST), in both families, every few milliseconds until each has been answered.
    /// Exit 0 when all were answered, 3 on a refusal, 4 when the time (argv[1] seconds) ran out.
    /// </summary>
    private const string ProbeScript = """
        import errno, select, socket, sys, time
        deadline = time.time() + float(sys.argv[1])
        families = [(socket.AF_INET, "192.0.2.2"), (socket.AF_INET6, "2001:db8::2")]
        udp = {}
        for family, address in families:
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.setblocking(False)
            s.connect((address, 7))
            udp[address] = s
        # Each TCP target has one connect in flight, replaced by a fresh SYN when 20 ms pass without an answer.
        tcp = {(family, address, port): None for family, address in families for port in (7, 13)}
        print("probing", flush=True)
        sent = 0
        def refused(what):
            print(f"REFUSED {what} after {sent} probes", flush=True)
            sys.exit(3)
        while udp or tcp:
            now = time.time()
            if now > deadline:
                print(f"unanswered: {sorted(udp)} {sorted(t[1:] for t in tcp)}", flush=True)
                sys.exit(4)
            for address, s in list(udp.items()):
                try:
                    s.send(b"probe\n")
                    sent += 1
                    if s.recv(100):
                        print(f"udp {address} 7 answered after {sent} probes", flush=True)
                        s.close()
                        del udp[address]
                except BlockingIOError:
                    pass
                except ConnectionRefusedError:
                    refused(f"udp {address} 7")
                except OSError:
                    pass
            for key, pending in list(tcp.items()):
                family, address, port = key
                if pending is not None:
                    c, started = pending
                    _, writable, _ = select.select([], [c], [], 0)
                    if writable:
                        error = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        c.close()
                        if error == 0:
                            print(f"tcp {address} {port} answered after {sent} probes", flush=True)
                            del tcp[key]
                            continue
                        if error == errno.ECONNREFUSED:
                            refused(f"tcp {address} {port}")
                        pending = None
                    elif now - started > 0.02:
                        c.close()
                        pending = None
                if pending is None:
                    c = socket.socket(family, socket.SOCK_STREAM)
                    c.setblocking(False)
                    c.connect_ex((address, port))
                    sent += 1
                    tcp[key] = (c, now)
            time.sleep(0.002)
        print("answered", flush=True)
        """;
}

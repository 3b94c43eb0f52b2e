using Stack.IP;
using Stack.Link.Wire;
using Stack.Sockets.Dhcp;
using Stack.Sockets.Hosting;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// The stack's DHCP client against dnsmasq on the kernel's bridge (192.0.2.1) in a namespace the test creates,
/// pool 192.0.2.100-150. dnsmasq's shortest lease is 2 minutes: the server sets T1/T2 of 2 s/4 s (options 58/59)
/// and the client caps the lease at 6 s (<see cref="DhcpClientOptions.MaxLeaseTime"/>) to see renewal and expiry.
/// </summary>
public sealed class DhcpInteropTests(ITestOutputHelper output)
{
    private static readonly MacAddress StackMac = new(0x0200_5354_0002UL);

    private static readonly DhcpClientOptions Fast = new()
    {
        RetransmitInitial = TimeSpan.FromSeconds(1), ProbeCount = 1, ProbeWait = TimeSpan.Zero,
        AnnounceWait = TimeSpan.FromMilliseconds(500), MinRenewRetransmit = TimeSpan.FromSeconds(1),
        MaxLeaseTime = TimeSpan.FromSeconds(6), DeclineBackoff = TimeSpan.FromSeconds(30), Random = new Random(15),
    };

    private static BackgroundProcess StartDnsmasq(TestNamespace ns, string extra = "")
    {
        var leases = Path.Combine(Path.GetTempPath(), $"dnsmasq-{ns.Name}.leases");
        File.Delete(leases);
        var dnsmasq = ns.StartBackground(
            $"exec dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface=br0 --bind-interfaces --no-ping --log-dhcp " +
            $"--dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,2m --dhcp-option=3,192.0.2.1 --dhcp-option=6,192.0.2.1 " +
            $"--dhcp-option=58,2 --dhcp-option=59,4 --dhcp-leasefile={leases} {extra}");
        dnsmasq.WaitForError("DHCP, IP range", 10);
        return dnsmasq;
    }

    private static (StackInstance Stack, List<DhcpEvent> Events) StartStack(TestNamespace ns)
    {
        var events = new List<DhcpEvent>();
        var stack = StackInstance.Start(new StackOptions
        {
            Link = StackLink.Tap("tap0", ns.Name),
            Mac = StackMac,
            Dhcp = Fast,
        }, s => s.Dhcp!.Changed += e => { lock (events) events.Add(e); });
        ns.WaitUntilForwarding("tap0");
        return (stack, events);
    }

    private static bool WaitFor(List<DhcpEvent> events, DhcpEventKind kind, int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            lock (events) if (events.Any(e => e.Kind == kind)) return true;
            Thread.Sleep(50);
        }
        return false;
    }

    [SkippableFact]
    public void The_stack_leases_answers_ping_renews_and_gives_the_address_up_when_the_server_is_gone()
    {
        TapRequirement.Check("dnsmasq");
        using var ns = TestNamespace.Create(taps: 1);
        using var dnsmasq = StartDnsmasq(ns);
        var (stack, events) = StartStack(ns);
        using (stack)
        {
            Assert.True(WaitFor(events, DhcpEventKind.Bound, 15), $"no lease: {dnsmasq.StdErr}");
            var lease = stack.Dhcp!.Lease!;
            output.WriteLine(lease.ToString());
            Assert.Equal(24, lease.Address.PrefixLength);
            Assert.InRange(lease.Address.Address.V4.Value, Ipv4Address.Parse("192.0.2.100").Value, Ipv4Address.Parse("192.0.2.150").Value);
            Assert.Equal([Ipv4Address.Parse("192.0.2.1")], stack.Dhcp.DnsServers);
            Assert.True(lease.RenewalTime < lease.RebindingTime && lease.RebindingTime <= TimeSpan.FromSeconds(4), lease.ToString());
            var address = lease.Address.Address.ToString();
            Assert.Equal(0, ns.Exec($"ping -c 1 -W 2 {address}", TimeSpan.FromSeconds(5)).ExitCode);

            Assert.True(WaitFor(events, DhcpEventKind.Renewed, 10), $"no renewal: {dnsmasq.StdErr}");
            Assert.Contains("DHCPREQUEST(br0) " + address, dnsmasq.StdErr, StringComparison.Ordinal);

            dnsmasq.Dispose();
            Assert.True(WaitFor(events, DhcpEventKind.Expired, 12), "the lease never expired");
            Assert.False(stack.InvokeAsync((h, _) => h.IsLocal(IpAddress.Parse(address))).GetAwaiter().GetResult());
            Assert.NotEqual(0, ns.Exec($"ping -c 1 -W 1 {address}", TimeSpan.FromSeconds(5)).ExitCode);
        }
    }

    [SkippableFact]
    public void An_address_the_kernel_already_has_is_declined()
    {
        TapRequirement.Check("dnsmasq");
        using var ns = TestNamespace.Create(taps: 1);
        ns.ExecOk("ip addr add 192.0.2.120/24 dev br0");
        using var dnsmasq = StartDnsmasq(ns, $"--dhcp-host={StackMac},192.0.2.120");
        var (stack, events) = StartStack(ns);
        using (stack)
        {
            Assert.True(WaitFor(events, DhcpEventKind.Declined, 15), $"not declined: {dnsmasq.StdErr}");
            Assert.False(stack.InvokeAsync((h, _) => h.IsLocal(IpAddress.Parse("192.0.2.120"))).GetAwaiter().GetResult());
            Assert.True(stack.Dhcp!.Client.Statistics.Declines >= 1);
            for (int i = 0; i < 20 && !dnsmasq.StdErr.Contains("DHCPDECLINE", StringComparison.Ordinal); i++) Thread.Sleep(100);
            Assert.Contains("DHCPDECLINE(br0) 192.0.2.120", dnsmasq.StdErr, StringComparison.Ordinal);
        }
    }
}

using System.Globalization;
using Stack.IP.Autoconf;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Sockets.Hosting;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// IPv6 autoconfiguration against real routers' messages, in a namespace the test creates: radvd advertising
/// 2001:db8::/64 with RDNSS on br0, and a scapy-written flood of advertisements like THC-IPv6's flood_router26.
/// The flood test reads the whole process's managed memory before and after, so the class runs alone: run beside
/// the parallel collections, their live objects showed as 50 MiB of growth in one CI run, while alone the flood
/// adds under 1 MiB.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class AutoconfInteropTests(ITestOutputHelper output)
{
    private static readonly MacAddress StackMac = new(0x0200_5354_0A02UL);

    private static StackInstance StartStack(TestNamespace ns, params string[] addresses) => StackInstance.Start(new StackOptions
    {
        Link = StackLink.Tap("tap0", ns.Name),
        Addresses = [.. addresses.Select(InterfaceAddress.Parse)],
        Mac = StackMac,
    });

    private static T OnLoop<T>(StackInstance stack, Func<StackInstance, T> read) =>
        stack.InvokeAsync((_, _) => read(stack)).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();

    [SkippableFact]
    public void Radvd_gives_a_slaac_address_a_default_router_and_a_dns_server_and_the_kernel_pings_the_address()
    {
        TapRequirement.Check("ping", "radvd");
        using var ns = TestNamespace.Create(taps: 1);
        var dir = Directory.CreateTempSubdirectory("stack-radvd-");
        try
        {
            using var stack = StartStack(ns, "192.0.2.2/24");
            ns.WaitUntilForwarding("tap0");
            using var radvd = StartRadvd(ns, dir.FullName);

            var autoconf = stack.Host.Autoconf!;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (DateTime.UtcNow < deadline && !(autoconf.Addresses.Any(a => a.State == SlaacState.Preferred) && autoconf.DnsServers.Count > 0))
                Thread.Sleep(100);
            output.WriteLine(radvd.StdErr);
            var slaac = Assert.Single(autoconf.Addresses);
            Assert.Equal(SlaacState.Preferred, slaac.State);
            var address = slaac.Address.Address.V6;
            Assert.True(address.IsInPrefix(Ipv6Address.Parse("2001:db8::"), 64));
            output.WriteLine($"SLAAC address {address}");

            var kernelLinkLocal = ns.ExecOk("ip -6 -o addr show dev br0 scope link").Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .First(w => w.StartsWith("fe80:", StringComparison.Ordinal)).Split('/')[0];
            Assert.Equal(Ipv6Address.Parse(kernelLinkLocal), Assert.Single(autoconf.Routers).Address);
            Assert.Equal(Ipv6Address.Parse(kernelLinkLocal), OnLoop(stack, s => s.Host.Routes.LearnedGatewayV6));
            Assert.True(OnLoop(stack, s => s.Host.Routes.TryGetNextHop(Ipv6Address.Parse("2001:db8:ffff::1"), out var hop) && hop.V6 == Ipv6Address.Parse(kernelLinkLocal)));
            Assert.Equal("2001:db8::1", Assert.Single(autoconf.DnsServers).Address.ToString());
            Assert.Equal(new InterfaceAddress(Ipv6Address.Parse("2001:db8::"), 64), Assert.Single(autoconf.Prefixes).Prefix);

            var (code, text, _) = ns.Exec($"ping -6 -c 3 -i 0.2 -W 2 {address}", TimeSpan.FromSeconds(15));
            output.WriteLine(text);
            Assert.True(code == 0, text);
            Assert.True(autoconf.Statistics.DadSolicitationsSent >= 1);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// 2,000 advertisements from random link-local routers and MACs, each with 17 random on-link prefixes. The
    /// network-safety rule keeps every prefix inside 2001:db8::/64, so they are longer than /64 (on-link only; the
    /// SLAAC address cap is the unit tests' business) plus 2001:db8::/64 itself, which makes one address.
    /// </summary>
    [SkippableFact]
    public void A_flood_of_router_advertisements_leaves_the_lists_capped_and_the_stack_answering()
    {
        TapRequirement.Check("ping");
        Skip.If(!File.Exists("/usr/bin/python3") || Tools.Run("/usr/bin/python3 -c 'import scapy'").Code != 0, "scapy (python3-scapy) is not installed");
        using var ns = TestNamespace.Create(taps: 1);
        var script = Path.Combine(Path.GetTempPath(), $"stack-ra-flood-{Environment.ProcessId}.py");
        try
        {
            File.WriteAllText(script, FloodScript);
            using var stack = StartStack(ns, "192.0.2.2/24", "2001:db8::2/64");
            ns.WaitUntilForwarding("tap0");
            Assert.Equal(0, ns.Exec("ping -c 1 -W 2 192.0.2.2", TimeSpan.FromSeconds(10)).ExitCode);
            long before = Memory();

            var (code, stdout, stderr) = ns.Exec($"/usr/bin/python3 {script}", TimeSpan.FromSeconds(60));
            output.WriteLine(stdout + stderr);
            Assert.Equal(0, code);

            var autoconf = stack.Host.Autoconf!;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < deadline && autoconf.Statistics.RouterAdvertisementsAccepted < 2000) Thread.Sleep(100);
            long after = Memory();
            output.WriteLine($"accepted {autoconf.Statistics.RouterAdvertisementsAccepted}, routers {autoconf.Routers.Count} " +
                $"(ignored {autoconf.Statistics.RoutersIgnored}), prefixes {autoconf.Prefixes.Count} (ignored {autoconf.Statistics.PrefixesIgnored}), " +
                $"addresses {autoconf.Addresses.Count}, managed memory {before / 1024} KiB -> {after / 1024} KiB");
            foreach (var (layer, reason, count) in stack.Host.Rejects.Snapshot()) output.WriteLine($"rejected {layer}/{reason}: {count}");

            Assert.True(autoconf.Statistics.RouterAdvertisementsAccepted >= 1900, "most of the flood should have arrived and been processed");
            Assert.Equal(16, autoconf.Routers.Count);
            Assert.Equal(16, autoconf.Prefixes.Count);
            Assert.True(autoconf.Addresses.Count <= 16);
            Assert.True(autoconf.Statistics.RoutersIgnored > 1000);
            Assert.InRange(OnLoop(stack, s => s.Host.Ndp.Cache.Count), 1, 1024);
            Assert.True(after - before < 16L * 1024 * 1024, $"managed memory grew by {(after - before) / 1024} KiB");

            (code, var text, _) = ns.Exec("ping -c 3 -i 0.2 -W 2 192.0.2.2", TimeSpan.FromSeconds(15));
            Assert.True(code == 0, text);
            (code, text, _) = ns.Exec("ping -6 -c 3 -i 0.2 -W 2 2001:db8::2", TimeSpan.FromSeconds(15));
            Assert.True(code == 0, text);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [SkippableFact]
    public void Stack_serve_with_only_autoconf_prints_what_radvd_gave_it_and_answers_on_it()
    {
        TapRequirement.Check("ping", "radvd");
        using var ns = TestNamespace.Create(taps: 1);
        var dir = Directory.CreateTempSubdirectory("stack-radvd-");
        var stackDll = Path.Combine(AppContext.BaseDirectory, "stack.dll");
        try
        {
            using var serve = ns.StartBackground($"exec dotnet {stackDll} serve --tap tap0 --autoconf on --mac 02:00:53:54:0a:03 --services none");
            serve.WaitForError("stack up on tap0", seconds: 20);
            ns.WaitUntilForwarding("tap0");
            using var radvd = StartRadvd(ns, dir.FullName);
            serve.WaitForError("assigned (SLAAC)", seconds: 20);
            serve.WaitForError("DNS server 2001:db8::1 (RDNSS)");
            Assert.Contains("default router fe80::", serve.StdErr, StringComparison.Ordinal);
            var address = System.Text.RegularExpressions.Regex.Match(serve.StdErr, @"address (2001:db8::[0-9a-f:]+)/64 assigned").Groups[1].Value;
            var (code, text, _) = ns.Exec($"ping -6 -c 2 -i 0.2 -W 2 {address}", TimeSpan.FromSeconds(10));
            output.WriteLine(serve.StdErr);
            Assert.True(code == 0, text);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// radvd on br0 advertising 2001:db8::/64 (on-link, autonomous) with RDNSS 2001:db8::1. radvd is a router only
    /// where forwarding is on: the sysctl is set inside the test's namespace, never the host's.
    /// </summary>
    internal static BackgroundProcess StartRadvd(TestNamespace ns, string dir)
    {
        File.WriteAllText(Path.Combine(dir, "radvd.conf"), """
            interface br0 {
                AdvSendAdvert on;
                MinRtrAdvInterval 3;
                MaxRtrAdvInterval 4;
                AdvDefaultLifetime 600;
                prefix 2001:db8::/64 { AdvOnLink on; AdvAutonomous on; AdvValidLifetime 3600; AdvPreferredLifetime 1800; };
                RDNSS 2001:db8::1 { AdvRDNSSLifetime 600; };
            };
            """);
        ns.ExecOk("sysctl -q -w net.ipv6.conf.all.forwarding=1");
        return ns.StartBackground($"exec radvd -n -m stderr -C {dir}/radvd.conf -p {dir}/radvd.pid");
    }

    private static long Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>The flood, seeded, sent out of br0 (so to the stack's port); bounded at 2,000 frames.</summary>
    private static readonly string FloodScript = string.Create(CultureInfo.InvariantCulture, $$"""
        import random
        from scapy.all import Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptPrefixInfo, sendp, conf
        conf.verb = 0
        random.seed(26)
        frames = []
        for i in range(2000):
            mac = "02:%02x:%02x:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(5))
            src = "fe80::%x:%x:%x:%x" % tuple(random.randrange(1, 65536) for _ in range(4))
            ra = Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src=src, dst="ff02::1", hlim=255) / ICMPv6ND_RA(routerlifetime=9000) / ICMPv6NDOptSrcLLAddr(lladdr=mac)
            for j in range(16):
                length = random.randrange(65, 121)
                prefix = "2001:db8::%x:%x:%x:0" % tuple(random.randrange(65536) for _ in range(3))
                ra = ra / ICMPv6NDOptPrefixInfo(prefix=prefix, prefixlen=length, L=1, A=1, validlifetime=0xffffffff, preferredlifetime=0xffffffff)
            ra = ra / ICMPv6NDOptPrefixInfo(prefix="2001:db8::", prefixlen=64, L=1, A=1, validlifetime=0xffffffff, preferredlifetime=0xffffffff)
            frames.append(ra)
        sendp(frames, iface="br0", inter=0.001)
        print("sent", len(frames))
        """);
}

using System.Diagnostics;
using Stack.Sockets.Hosting;
using Stack.IP;
using Stack.IP.Routing;
using Stack.IP.Wire;
using Stack.Link.Devices.Tap;
using Stack.Link.Wire;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>Hostile frames written to the bridge through a second TAP must not stop the stack answering pings.</summary>
public sealed class FloodInteropTests(ITestOutputHelper output)
{
    private static readonly MacAddress StackMac = new(0x0200_5354_0002UL);
    private static readonly MacAddress AttackerMac = new(0x0200_5354_00EEUL);

    [SkippableFact]
    public void Random_and_mutated_frames_leave_the_stack_answering()
    {
        TapRequirement.Check();
        using var ns = TestNamespace.Create(taps: 2);
        var a4 = InterfaceAddress.Parse("192.0.2.2/24");
        var a6 = InterfaceAddress.Parse("2001:db8::2/64");
        using var stack = StackInstance.Start("tap0", TapDevice.Open("tap0", netns: ns.Name),
            new IpHostOptions { Mac = StackMac, Addresses = [a4, a6] });
        using var attacker = TapDevice.Open("tap1", netns: ns.Name);

        var (code, _, _) = ns.Exec("ping -c 1 -W 2 192.0.2.2", TimeSpan.FromSeconds(10));
        Assert.Equal(0, code);

        var random = new Random(2026);
        var seeds = SeedFrames();
        var frame = new byte[1514];
        var clock = Stopwatch.StartNew();
        int sent = 0;
        for (; sent < 20_000 && clock.Elapsed < TimeSpan.FromSeconds(20); sent++)
        {
            int length;
            if (sent % 4 == 0)
            {
                length = random.Next(EthernetFrame.HeaderLength, frame.Length + 1);
                random.NextBytes(frame.AsSpan(0, length));
            }
            else
            {
                var seed = seeds[random.Next(seeds.Length)];
                length = random.Next(EthernetFrame.HeaderLength, seed.Length + 1);
                seed.AsSpan(0, length).CopyTo(frame);
                for (int flips = random.Next(1, 6); flips > 0; flips--)
                    frame[random.Next(EthernetFrame.HeaderLength, length)] ^= (byte)(1 << random.Next(8));
            }
            // Address every frame to the stack from a sane source, so the bridge passes it to tap0.
            StackMac.Write(frame);
            AttackerMac.Write(frame.AsSpan(6));
            attacker.Transmit(frame.AsSpan(0, length));
        }
        output.WriteLine($"wrote {sent} hostile frames in {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var (layer, reason, count) in stack.Host.Rejects.Snapshot())
            output.WriteLine($"rejected {layer}/{reason}: {count}");

        (code, var text, _) = ns.Exec("ping -c 3 -i 0.2 -W 2 192.0.2.2", TimeSpan.FromSeconds(15));
        Assert.Equal(0, code);
        (code, text, _) = ns.Exec("ping -6 -c 3 -i 0.2 -W 2 2001:db8::2", TimeSpan.FromSeconds(15));
        Assert.True(code == 0, text);
        Assert.True(stack.Host.Rejects.Snapshot().Count > 0, "the flood should have been rejected, and counted");
    }

    /// <summary>
    /// Valid frames to mutate: an ARP request, an echo request, a neighbour solicitation. They come from an
    /// address nobody else uses: claiming the kernel's address would be ARP spoofing, which the protocol
    /// believes by design, not a malformed frame.
    /// </summary>
    private static byte[][] SeedFrames()
    {
        var kernel4 = Ipv4Address.Parse("192.0.2.200");
        var stack4 = Ipv4Address.Parse("192.0.2.2");
        var kernel6 = Ipv6Address.Parse("2001:db8::200");
        var stack6 = Ipv6Address.Parse("2001:db8::2");

        var arp = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        EthernetFrame.WriteHeader(arp, StackMac, AttackerMac, EtherType.Arp);
        ArpPacket.Write(arp.AsSpan(14), ArpOperation.Request, AttackerMac, kernel4, MacAddress.Zero, stack4);

        var ping = new byte[14 + 20 + 8 + 100];
        EthernetFrame.WriteHeader(ping, StackMac, AttackerMac, EtherType.Ipv4);
        new Ipv4Repr(kernel4, stack4, IpProtocol.Icmp, 108, 64, 1).Write(ping.AsSpan(14));
        Icmpv4Message.WriteEcho(ping.AsSpan(34), Icmpv4Type.EchoRequest, 9, 9, new byte[100]);

        var ns6 = new byte[14 + 40 + 32];
        EthernetFrame.WriteHeader(ns6, StackMac, AttackerMac, EtherType.Ipv6);
        int len = NdpWriter.WriteNeighborSolicitation(ns6.AsSpan(54), stack6, AttackerMac);
        Icmpv6Message.FillChecksum(ns6.AsSpan(54, len), kernel6, stack6);
        new Ipv6Repr(kernel6, stack6, IpProtocol.Icmpv6, len, 255).Write(ns6.AsSpan(14));
        return [arp, ping, ns6];
    }
}

using System.Buffers.Binary;
using PacketDotNet;
using ArpOperation = PacketDotNet.ArpOperation;
using ArpPacket = PacketDotNet.ArpPacket;
using Stack.Link.Devices;
using Stack.Link.Wire;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

/// <summary>
/// A device in a fresh namespace, next to the Linux kernel on br0 (192.0.2.1): the kernel's ARP reaches our sink,
/// and what we transmit reaches the kernel. Run once per device type by the classes below.
/// </summary>
public abstract class KernelNeighbourTests
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly Ipv4Address Kernel = Ipv4Address.Parse("192.0.2.1");
    private static readonly Ipv4Address Us = Ipv4Address.Parse("192.0.2.2");
    private static readonly MacAddress OurMac = new(0x02_00_00_00_00_02);

    /// <summary>Prepares the namespace if needed and opens the device the stack would use there.</summary>
    protected abstract ILinkDevice Open(TestNamespace ns);

    /// <summary>The bridge port the device's frames pass through.</summary>
    protected abstract string BridgePort { get; }

    private ILinkDevice OpenForwarding(TestNamespace ns)
    {
        var device = Open(ns);
        ns.WaitUntilForwarding(BridgePort);
        ns.WaitUntilUp("br0");
        return device;
    }

    private static MacAddress BridgeMac(TestNamespace ns) =>
        MacAddress.TryParse(ns.ExecOk("cat /sys/class/net/br0/address").Trim(), out var mac) ? mac : throw new InvalidOperationException("br0 has no MAC");

    private static Func<byte[], bool> ArpFor(ushort operation, Ipv4Address target) =>
        f => ArpFrame.TryRead(f) is { } arp && arp.Operation == operation && arp.TargetIp == target;

    private static string Seen(FrameRecorder rx) =>
        "frames seen:\n" + string.Join('\n', rx.Frames.Select(f => ArpFrame.TryRead(f)?.ToString() ?? Convert.ToHexString(f.AsSpan(0, Math.Min(f.Length, 42)))));

    [SkippableFact]
    public void Kernel_pings_192_0_2_2_and_its_ARP_request_arrives_at_the_sink()
    {
        TapRequirement.Check("ping");
        using var ns = TestNamespace.Create();
        using var device = OpenForwarding(ns);
        var rx = new FrameRecorder();
        device.Start(rx);
        var kernelMac = BridgeMac(ns);

        ns.Exec("ping -c 1 -W 1 192.0.2.2", TimeSpan.FromSeconds(10)); // nobody answers: exit 1 is expected

        var frame = rx.WaitFor(ArpFor(ArpFrame.Request, Us), Wait);
        Assert.True(frame is not null, "no ARP who-has 192.0.2.2; " + Seen(rx));
        Assert.Equal(ArpFrame.WhoHas(Us, kernelMac, Kernel), ArpFrame.TryRead(frame)); // broadcast, target MAC zero
        var oracle = Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<ArpPacket>();
        Assert.Equal(ArpOperation.Request, oracle.Operation);
        Assert.Equal("192.0.2.2", oracle.TargetProtocolAddress.ToString());
    }

    [SkippableFact]
    public void We_answer_the_kernels_ARP_request_and_its_echo_request_comes_to_our_MAC()
    {
        TapRequirement.Check("ping");
        using var ns = TestNamespace.Create();
        using var device = OpenForwarding(ns);
        var rx = new FrameRecorder();
        device.Start(rx);

        using var ping = ns.StartBackground("ping -c 5 -i 0.2 -W 1 192.0.2.2");
        var frame = rx.WaitFor(ArpFor(ArpFrame.Request, Us), Wait);
        Assert.True(frame is not null, "no ARP who-has 192.0.2.2; " + Seen(rx));
        var request = ArpFrame.TryRead(frame)!.Value;
        device.Transmit(ArpFrame.IsAt(OurMac, Us, request.SenderMac, request.SenderIp).ToBytes());

        var echo = rx.WaitFor(f => MacAddress.Read(f) == OurMac && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x0800, Wait);
        Assert.True(echo is not null, "no IPv4 frame to 02:00:00:00:00:02 after our ARP reply; " + Seen(rx));
        var icmp = Packet.ParsePacket(LinkLayers.Ethernet, echo).Extract<IcmpV4Packet>();
        Assert.Equal(IcmpV4TypeCode.EchoRequest, icmp.TypeCode);
        Assert.Contains("lladdr 02:00:00:00:00:02", ns.ExecOk("ip neigh show 192.0.2.2 dev br0"));
    }

    [SkippableFact]
    public void We_ask_who_has_192_0_2_1_and_the_kernel_replies_and_learns_us()
    {
        TapRequirement.Check();
        using var ns = TestNamespace.Create();
        using var device = OpenForwarding(ns);
        var rx = new FrameRecorder();
        device.Start(rx);
        var kernelMac = BridgeMac(ns);

        device.Transmit(ArpFrame.WhoHas(Kernel, OurMac, Us).ToBytes());

        var frame = rx.WaitFor(ArpFor(ArpFrame.Reply, Us), Wait);
        Assert.True(frame is not null, "no ARP reply to 192.0.2.2; " + Seen(rx));
        Assert.Equal(ArpFrame.IsAt(kernelMac, Kernel, OurMac, Us), ArpFrame.TryRead(frame));
        Assert.Contains("lladdr 02:00:00:00:00:02", ns.ExecOk("ip neigh show 192.0.2.2 dev br0"));
    }
}

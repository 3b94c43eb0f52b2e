using Stack.Link.Devices;
using Stack.Link.Devices.Pcap;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

/// <summary>The same traces over libpcap: veth1 is ours, its peer veth0 sits in br0 next to the kernel.</summary>
public sealed class LivePcapDeviceTests : KernelNeighbourTests
{
    protected override ILinkDevice Open(TestNamespace ns)
    {
        ns.ExecOk("ip link add veth0 type veth peer name veth1"
            + " && echo 1 > /proc/sys/net/ipv6/conf/veth0/disable_ipv6"
            + " && echo 1 > /proc/sys/net/ipv6/conf/veth1/disable_ipv6"
            + " && ip link set veth0 master br0 && ip link set veth0 up && ip link set veth1 up");
        ns.WaitUntilUp("veth1");
        return LivePcapDevice.Open("veth1", netns: ns.Name);
    }

    protected override string BridgePort => "veth0";

    [SkippableFact]
    public void Opening_an_interface_that_does_not_exist_names_the_ones_that_do()
    {
        TapRequirement.Check();
        using var ns = TestNamespace.Create();

        var e = Assert.Throws<LinkDeviceException>(() => LivePcapDevice.Open("nosuch0", netns: ns.Name));

        Assert.Contains("No interface 'nosuch0'", e.Message);
        Assert.Contains("br0", e.Message);
    }
}

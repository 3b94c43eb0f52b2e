using Microsoft.Extensions.Logging;
using Stack.Link.Devices;
using Stack.Link.Devices.Pcap;
using Stack.Link.Devices.Tap;

namespace Stack.Sockets.Hosting;

/// <summary>
/// The link a stack runs on, chosen in <see cref="StackOptions.Link"/>: a TAP device, a network interface opened
/// through libpcap, or a device the program made itself (an in-memory port from
/// <c>Stack.Link.Devices.Memory.MemoryLink.CreatePair()</c>, a hub port, a device of its own).
/// </summary>
public abstract record StackLink
{
    private protected StackLink()
    {
    }

    /// <summary>The device's name, which names the stack unless <see cref="StackOptions.Name"/> does.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// A TAP device (root or CAP_NET_ADMIN, and <c>/dev/net/tun</c>), in network namespace <paramref name="netns"/>
    /// when given: an existing one (<c>scripts/tap-setup up</c>), or with <paramref name="create"/> a transient one
    /// made for the run. <paramref name="offload"/> negotiates the virtio header so the kernel may hand over 64 KiB
    /// super-frames with checksums left to do.
    /// </summary>
    public static StackLink Tap(string name, string? netns = null, bool offload = true, bool create = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new TapLink(name, netns, offload, create);
    }

    /// <summary>An existing interface opened with libpcap (the libpcap0.8 package), in <paramref name="netns"/> when given.</summary>
    public static StackLink Pcap(string interfaceName, string? netns = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        return new PcapLink(interfaceName, netns);
    }

    /// <summary>A device the caller made; the stack owns it from <see cref="StackInstance.Start(StackOptions, Action{StackInstance}?)"/> on and disposes it.</summary>
    public static StackLink Device(ILinkDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new DeviceLink(device);
    }

    /// <summary>
    /// Devices the caller made, one per queue of a multi-queue stack (<see cref="StackShards"/>): tests stand in-memory
    /// ports in for a TAP's queues. The stack owns them from its start on and disposes them.
    /// </summary>
    internal static StackLink Queues(params ILinkDevice[] queues)
    {
        ArgumentOutOfRangeException.ThrowIfZero(queues.Length);
        return new QueuesLink(queues);
    }

    /// <summary>Opens the device; <paramref name="mtu"/> is the stack's.</summary>
    internal abstract ILinkDevice Open(int mtu, ILoggerFactory logs);

    /// <summary>Opens one more queue of a multi-queue device (<see cref="StackShards"/>); only a TAP has them.</summary>
    internal virtual ILinkDevice OpenQueue(int mtu, ILoggerFactory logs) =>
        throw new NotSupportedException($"{this.GetType().Name[..^4]} link {Name} has one queue; a multi-queue stack (--queues N) runs on a TAP.");

    private sealed record TapLink(string Interface, string? Netns, bool Offload, bool Create) : StackLink
    {
        public override string Name => Interface;

        internal override ILinkDevice Open(int mtu, ILoggerFactory logs) =>
            TapDevice.Open(Interface, Netns, mtu, logs.CreateLogger("stack.tap"), Offload, Create);

        internal override ILinkDevice OpenQueue(int mtu, ILoggerFactory logs) =>
            TapDevice.Open(Interface, Netns, mtu, logs.CreateLogger("stack.tap"), Offload, Create, multiQueue: true);
    }

    private sealed record PcapLink(string Interface, string? Netns) : StackLink
    {
        public override string Name => Interface;

        internal override ILinkDevice Open(int mtu, ILoggerFactory logs) =>
            LivePcapDevice.Open(Interface, Netns, mtu, logs.CreateLogger("stack.pcap"));
    }

    private sealed record DeviceLink(ILinkDevice Given) : StackLink
    {
        public override string Name => Given.Name;

        internal override ILinkDevice Open(int mtu, ILoggerFactory logs) => Given;
    }

    private sealed record QueuesLink(ILinkDevice[] Given) : StackLink
    {
        private int _opened;

        public override string Name => Given[0].Name;

        internal override ILinkDevice Open(int mtu, ILoggerFactory logs) => Given[0];

        internal override ILinkDevice OpenQueue(int mtu, ILoggerFactory logs) => _opened < Given.Length
            ? Given[_opened++]
            : throw new InvalidOperationException($"{Name}: all {Given.Length} queues are open");
    }
}

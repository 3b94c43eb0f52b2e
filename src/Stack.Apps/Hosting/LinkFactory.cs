using Microsoft.Extensions.Logging;
using Stack.Apps.Commands;
using Stack.Link.Devices;
using Stack.Link.Devices.Impairment;
using Stack.Link.Devices.Pcap;
using Stack.Link.Devices.Tap;

namespace Stack.Apps.Hosting;

/// <summary>Opens the link a command asked for, wraps it in a pcap trace when asked, and starts a stack on it.</summary>
public static class LinkFactory
{
    /// <summary>
    /// Starts a stack on the TAP device <paramref name="args"/> name; <paramref name="configure"/> binds what it
    /// serves before the link comes up (see <see cref="StackInstance.Start"/>).
    /// </summary>
    public static StackInstance StartOnTap(StackArgs args, ILoggerFactory logs, Action<StackInstance>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ILinkDevice device = TapDevice.Open(args.Tap, mtu: args.Host.Mtu, logger: logs.CreateLogger("stack.tap"), offload: args.TapOffload);
        // The trace sits next to the stack, inside the impairment: it shows what the stack really sent and got.
        if (args.Impair is { IsNone: false } impair) device = new ImpairedDevice(device, impair);
        if (args.Pcap is { } path) device = new TracingDevice(device, new PcapWriter(File.Create(path)), TimeProvider.System);
        return StackInstance.Start(args.Tap, device, args.Host, TimeProvider.System, logs, args.Tcp, configure);
    }
}

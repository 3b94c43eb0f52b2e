using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Stack.Sockets.Hosting;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;
using Stack.Tcp;
using Stack.Tests.Support;

namespace Stack.Tests.Sockets;

/// <summary>
/// Two stack instances on an in-memory link, for socket tests: A at 192.0.2.2 / 2001:db8::2, B at .3 / ::3.
/// </summary>
/// <remarks>
/// Both run on one fake clock that moves only when a test advances <see cref="Clock"/>: no retransmission,
/// delayed ACK, TIME_WAIT expiry or socket timeout happens behind a test's back however loaded the machine is,
/// and a test that asserts a timer does so exactly. A test waits for what it needs (a task, a state change), never
/// for time to pass; the real-time limits it puts on those waits only stop a broken run from hanging.
/// </remarks>
public abstract class TwoStacks : IDisposable
{
    /// <param name="deviceA">Wraps A's end of the link (a device that misbehaves on cue).</param>
    /// <param name="logsA">A's logs (none when null).</param>
    protected TwoStacks(TcpConfig? tcp = null, Func<ILinkDevice, ILinkDevice>? deviceA = null, ILoggerFactory? logsA = null)
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        StackA = StackInstance.Start("a", deviceA?.Invoke(linkA) ?? linkA, Options(2), Clock, logsA, tcp);
        StackB = StackInstance.Start("b", linkB, Options(3), Clock, tcp: tcp);
    }

    protected WatchedClock Clock { get; } = new();
    protected StackInstance StackA { get; }
    protected StackInstance StackB { get; }

    protected static IPAddress A(bool v6) => IPAddress.Parse(v6 ? "2001:db8::2" : "192.0.2.2");
    protected static IPAddress B(bool v6) => IPAddress.Parse(v6 ? "2001:db8::3" : "192.0.2.3");
    protected static AddressFamily Family(bool v6) => v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
    protected static IPAddress Any(bool v6) => v6 ? IPAddress.IPv6Any : IPAddress.Any;

    private static IpHostOptions Options(byte last) => new()
    {
        Mac = new MacAddress(0x0200_0000_0000UL | last),
        Addresses = [InterfaceAddress.Parse($"192.0.2.{last}/24"), InterfaceAddress.Parse($"2001:db8::{last}/64")],
    };

    public void Dispose()
    {
        StackA.Dispose();
        StackB.Dispose();
        GC.SuppressFinalize(this);
    }
}

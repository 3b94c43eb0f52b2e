using System.Net;
using System.Net.Sockets;
using Stack.Apps.Hosting;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;
using Stack.Tcp;

namespace Stack.Tests.Sockets;

/// <summary>
/// Two stack instances on an in-memory link, for socket tests: A at 192.0.2.2 / 2001:db8::2, B at .3 / ::3.
/// </summary>
public abstract class TwoStacks : IDisposable
{
    protected TwoStacks(TcpConfig? tcp = null)
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        StackA = StackInstance.Start("a", linkA, Options(2), tcp: tcp);
        StackB = StackInstance.Start("b", linkB, Options(3), tcp: tcp);
    }

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

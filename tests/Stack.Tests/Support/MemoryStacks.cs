using Stack.IP.Routing;
using Stack.Link.Devices.Memory;
using Stack.Link.Wire;
using Stack.Sockets.Hosting;

namespace Stack.Tests.Support;

/// <summary>Stacks brought up from <see cref="StackOptions"/> on an in-memory link, as a program embedding the library does.</summary>
internal static class MemoryStacks
{
    /// <summary>A stack on <paramref name="port"/> at 192.0.2.<paramref name="last"/> and 2001:db8::<paramref name="last"/>.</summary>
    public static StackOptions Options(MemoryPort port, byte last) => new()
    {
        Link = StackLink.Device(port),
        Addresses = [InterfaceAddress.Parse($"192.0.2.{last}/24"), InterfaceAddress.Parse($"2001:db8::{last}/64")],
        Mac = new MacAddress(0x0200_0000_0000UL | last),
    };

    /// <summary>A at .2 / ::2 and B at .3 / ::3 on one in-memory link, on the real clock.</summary>
    public static (StackInstance A, StackInstance B) StartPair()
    {
        var (linkA, linkB) = MemoryLink.CreatePair();
        var a = StackInstance.Start(Options(linkA, 2));
        try
        {
            return (a, StackInstance.Start(Options(linkB, 3)));
        }
        catch
        {
            a.Dispose();
            throw;
        }
    }
}

using System.Runtime.InteropServices;
using System.Text;

namespace Stack.Link.Devices.Tap;

public sealed unsafe partial class TapDevice
{
    private const nuint SiocGIfFlags = 0x8913;
    private const nuint SiocSIfFlags = 0x8914;
    private const short IffUp = 0x1;
    private const short IffRunning = 0x40;

    /// <summary>What <see cref="Attach"/> found: a device that was there (up or down), or one it made.</summary>
    private enum TapState
    {
        Up,
        Down,
        Created,
    }

    /// <summary>
    /// The interface flags of <paramref name="name"/> (SIOCGIFFLAGS on an AF_INET datagram socket, as ip(8) does),
    /// in the calling thread's namespace; null when they cannot be read (the check is advice, never a failure).
    /// </summary>
    private static short? GetFlags(string name)
    {
        var fd = LibC.Socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) return null;
        try
        {
            byte* ifr = stackalloc byte[IfReqSize];
            NameRequest(ifr, name);
            return LibC.Ioctl(fd, SiocGIfFlags, ifr) == 0 ? *(short*)(ifr + IfReqFlagsOffset) : null;
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    /// <summary>
    /// Brings a TAP we made up (IFF_UP | IFF_RUNNING, SIOCSIFFLAGS): a new TAP starts down, and a down interface
    /// drops every frame both ways. The kernel keeps RUNNING to itself (carrier); asking for it is harmless.
    /// </summary>
    private static void BringUp(string name)
    {
        var fd = LibC.Socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) Fail("socket", Marshal.GetLastPInvokeError());
        try
        {
            byte* ifr = stackalloc byte[IfReqSize];
            NameRequest(ifr, name);
            if (LibC.Ioctl(fd, SiocGIfFlags, ifr) != 0) Fail("SIOCGIFFLAGS", Marshal.GetLastPInvokeError());
            *(short*)(ifr + IfReqFlagsOffset) |= IffUp | IffRunning;
            if (LibC.Ioctl(fd, SiocSIfFlags, ifr) != 0) Fail("SIOCSIFFLAGS", Marshal.GetLastPInvokeError());
        }
        finally
        {
            LibC.Close(fd);
        }

        void Fail(string call, int errno) => throw new LinkDeviceException(
            $"Made TAP device '{name}' but cannot bring it up ({call}): {LibC.Describe(errno)}. Run as root, or make it with `sudo scripts/tap-setup up`.", errno);
    }

    private static void NameRequest(byte* ifr, string name)
    {
        new Span<byte>(ifr, IfReqSize).Clear();
        Encoding.UTF8.GetBytes(name, new Span<byte>(ifr, IfNameSize - 1));
    }
}

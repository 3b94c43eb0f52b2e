using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Stack.Link.Devices.Tap;

public sealed unsafe partial class TapDevice
{
    private const int IfNameSize = 16;                 // IFNAMSIZ, including the terminating NUL
    private const int IfReqSize = 40;                  // sizeof(struct ifreq) on 64-bit Linux
    private const int IfReqFlagsOffset = IfNameSize;   // ifr_flags: a short right after ifr_name
    private const short IffTap = 0x0002;
    private const short IffNoPi = 0x1000;
    private const short IffVnetHdr = 0x4000;
    private const short IffMultiQueue = 0x0100;         // each open of the name attaches one more queue
    private const nuint TunSetIff = 0x400454CA;        // _IOW('T', 202, int)
    private const nuint TunSetOffload = 0x400454D0;    // _IOW('T', 208, unsigned int), the flags passed by value
    private const nuint TunSetVnetHdrSz = 0x400454D8;  // _IOW('T', 216, int), through a pointer
    private const uint TunFCsum = 0x01;                // we finish checksums the kernel leaves partial
    private const uint TunFTso4 = 0x02;                // and take TCP/IPv4 GSO super-frames
    private const uint TunFTso6 = 0x04;                // and TCP/IPv6 ones

    /// <summary>
    /// Opens /dev/net/tun non-blocking (a polling loop reads until EAGAIN; the reader thread polls first) and
    /// attaches it to TAP <paramref name="name"/>, with or without the virtio header and offloads. A TAP it makes
    /// (<paramref name="create"/>, none by that name) it brings up; of one that was there it says whether it is up.
    /// With <paramref name="multiQueue"/> (IFF_MULTI_QUEUE) the fd is one queue of a multi-queue TAP: a TAP made
    /// here is made multi-queue, one that was there must have been (`ip tuntap add ... multi_queue`).
    /// </summary>
    private static (SafeFileHandle Fd, TapState State) Attach(string name, string? netns, bool offload, bool create, bool multiQueue)
    {
        const string Tun = "/dev/net/tun";
        var setup = netns is null ? "sudo scripts/tap-setup up" : $"sudo scripts/tap-setup up --netns {netns}";
        // TUNSETIFF on a name that does not exist makes a new, down TAP and succeeds: a typo would leave the stack
        // running on a device nothing is connected to. Making one is the caller's explicit choice.
        bool exists = LibC.IfNameToIndex(name) != 0;
        if (!create && !exists)
            throw new LinkDeviceException(
                $"There is no network device '{name}'{(netns is null ? " in this namespace" : $" in namespace {netns}")}. Make a TAP with `{setup}`, or let the stack make one for its run (--create-tap).",
                LibC.ENODEV) { NoSuchDevice = true };
        var fd = LibC.Open(Tun, LibC.O_RDWR | LibC.O_CLOEXEC | LibC.O_NONBLOCK);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var advice = errno switch
            {
                LibC.ENOENT or LibC.ENODEV => "The tun driver is missing: `modprobe tun`, or give the container --device /dev/net/tun.",
                LibC.EPERM or LibC.EACCES => "Run as root, or make /dev/net/tun readable and writable for this user.",
                _ => "Check that the tun driver is loaded.",
            };
            throw new LinkDeviceException($"Cannot open {Tun}: {LibC.Describe(errno)}. {advice}", errno);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        byte* ifr = stackalloc byte[IfReqSize];
        NameRequest(ifr, name);
        *(short*)(ifr + IfReqFlagsOffset) = (short)(IffTap | IffNoPi | (offload ? IffVnetHdr : 0) | (multiQueue ? IffMultiQueue : 0));
        if (LibC.Ioctl(fd, TunSetIff, ifr) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            var advice = errno switch
            {
                LibC.EPERM or LibC.EACCES => $"Create it for your user first: `{setup} --user $USER`, or run as root.",
                LibC.EBUSY => "Another process has it open (a TAP without multi-queue takes one reader); close that first.",
                LibC.EINVAL when multiQueue => $"An interface '{name}' exists but is not a multi-queue TAP; remove it and make it with `{setup} --queues N`, or let the stack make one (--create-tap).",
                LibC.EINVAL => $"An interface '{name}' exists but is not a TAP (perhaps a TUN or a bridge, or a multi-queue TAP, which wants --queues); remove it or pick another name, then `{setup}`.",
                _ => $"Create it with `{setup}`.",
            };
            throw new LinkDeviceException($"Cannot attach to TAP device '{name}': {LibC.Describe(errno)}. {advice}", errno);
        }
        try
        {
            SetOffloads(fd, name, offload);
            // A transient TAP goes when its fd closes; one that is left down would carry nothing.
            if (!exists) BringUp(name);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        if (!exists) return (handle, TapState.Created);
        return (handle, GetFlags(name) is { } flags && (flags & IffUp) == 0 ? TapState.Down : TapState.Up);
    }

    /// <summary>
    /// With offloads: a 10-byte virtio header and TUN_F_CSUM | TSO4 | TSO6. Without: offloads cleared, because a
    /// persistent TAP keeps the features an earlier session set, and GSO frames without a header would be garbage.
    /// </summary>
    private static void SetOffloads(int fd, string name, bool offload)
    {
        if (offload)
        {
            int size = VirtioNetHeader.Length;
            if (LibC.Ioctl(fd, TunSetVnetHdrSz, &size) != 0) Fail("TUNSETVNETHDRSZ");
        }
        uint features = offload ? TunFCsum | TunFTso4 | TunFTso6 : 0;
        if (LibC.Ioctl(fd, TunSetOffload, (void*)features) != 0) Fail("TUNSETOFFLOAD");

        void Fail(string call)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new LinkDeviceException(
                $"Cannot set up offloads on TAP device '{name}' ({call}): {LibC.Describe(errno)}. Open it without offloads (`--tap-offload off`).", errno);
        }
    }
}

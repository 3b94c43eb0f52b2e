using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Stack.Link.Devices;

namespace Stack.Link.Loop;

/// <summary>
/// A Linux eventfd: a counter other threads bump to wake a thread that waits in poll(2) on it alongside a
/// device. Non-blocking, so draining it never stalls the loop.
/// </summary>
internal sealed unsafe class EventFd : IDisposable
{
    private EventFd(SafeFileHandle handle) => Handle = handle;

    public SafeFileHandle Handle { get; }

    public static EventFd Create()
    {
        int fd = LibC.EventFd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new LinkDeviceException($"Cannot create an eventfd for the event loop: {LibC.Describe(errno)}.", errno);
        }
        return new EventFd(new SafeFileHandle(fd, ownsHandle: true));
    }

    /// <summary>Makes the descriptor readable. Safe from any thread; a no-op once disposed.</summary>
    public void Signal()
    {
        var added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        try
        {
            ulong one = 1;
            // Only EAGAIN can fail here (the counter is at its maximum), and then it is readable anyway.
            _ = LibC.Write((int)Handle.DangerousGetHandle(), (byte*)&one, sizeof(ulong));
        }
        finally
        {
            if (added) Handle.DangerousRelease();
        }
    }

    /// <summary>Resets the counter; called by the waiting thread, which holds a reference on <see cref="Handle"/>.</summary>
    public void Drain()
    {
        ulong value;
        _ = LibC.Read((int)Handle.DangerousGetHandle(), (byte*)&value, sizeof(ulong));
    }

    public void Dispose() => Handle.Dispose();
}

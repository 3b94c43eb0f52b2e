using System.Runtime.InteropServices;

namespace Stack.Link.Devices;

/// <summary>
/// A device the event loop can drive from its own thread: instead of <see cref="ILinkDevice.Start"/> (a device
/// thread handing frames over), the loop waits in poll(2) until <see cref="PollHandle"/> is readable and calls
/// <see cref="ReceiveBatch"/>, which hands each frame to the sink in place, on the loop thread. No copy, no
/// cross-thread wake-up per frame. A device polled this way is never started.
/// </summary>
public interface IPollableDevice : ILinkDevice
{
    /// <summary>What <see cref="ReceiveBatch"/> returns once the device is gone for good (its interface deleted): stop polling it.</summary>
    public const int Gone = -1;

    /// <summary>
    /// The descriptor that becomes readable when frames wait, or null when this device cannot be polled (a
    /// decorator around a device that cannot). The loop holds a reference on it (DangerousAddRef) while it runs.
    /// </summary>
    SafeHandle? PollHandle { get; }

    /// <summary>
    /// Reads, without blocking, up to <paramref name="max"/> frames and hands each to <paramref name="sink"/>
    /// (the span is valid only during the call). Returns how many frames were read, rejected ones included: fewer
    /// than <paramref name="max"/> means none were left; <see cref="Gone"/> when the device has gone and never will
    /// have frames again. Called from one thread only, which holds a reference on <see cref="PollHandle"/>.
    /// </summary>
    int ReceiveBatch(IFrameSink sink, int max);
}

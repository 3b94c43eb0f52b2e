using Stack.Link.Devices;

namespace Stack.Tests.Support;

/// <summary>A device that passes everything through to <paramref name="inner"/>, except that it can be told to throw on a transmit, once.</summary>
internal sealed class ThrowingDevice(ILinkDevice inner) : ILinkDevice
{
    private Exception? _next;

    public string Name => inner.Name;

    public int Mtu => inner.Mtu;

    /// <summary>The next transmit throws <paramref name="e"/> instead of sending.</summary>
    public void ThrowOnNextTransmit(Exception e) => Volatile.Write(ref _next, e);

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        if (Interlocked.Exchange(ref _next, null) is { } e)
        {
            throw e;
        }
        inner.Transmit(frame);
    }

    public void Start(IFrameSink sink) => inner.Start(sink);

    public void Dispose() => inner.Dispose();
}

using Stack.Link.Devices;

namespace Stack.Link.Wire;

/// <summary>Frames a payload with an Ethernet header from this host's address and hands it to the link.</summary>
public sealed class EthernetSender(IFrameTransmitter link, MacAddress source, int mtu)
{
    private readonly byte[] _scratch = new byte[EthernetFrame.HeaderLength + Math.Max(mtu, 1500)];

    public MacAddress Source => source;

    public long FramesSent { get; private set; }

    public void Send(MacAddress destination, EtherType type, ReadOnlySpan<byte> payload)
    {
        var frame = _scratch.AsSpan(0, EthernetFrame.HeaderLength + payload.Length);
        payload.CopyTo(frame[EthernetFrame.HeaderLength..]);
        SendInPlace(frame, destination, type);
    }

    /// <summary>
    /// Sends a frame whose payload is already in place after a 14-byte gap for the header; says whether the
    /// link took it or its local queue dropped it.
    /// </summary>
    public TransmitResult SendInPlace(Span<byte> frame, MacAddress destination, EtherType type)
    {
        EthernetFrame.WriteHeader(frame, destination, source, type);
        FramesSent++;
        return link.TryTransmit(frame);
    }
}

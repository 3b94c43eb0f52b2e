namespace Stack.Link.Devices.Memory;

/// <summary>A point-to-point in-memory Ethernet cable: what one port transmits, the other receives.</summary>
public static class MemoryLink
{
    public const int DefaultQueueCapacity = 4096;

    /// <summary>
    /// Two connected ports, "mem:a" and "mem:b". Each delivers on its own thread from a queue of
    /// <paramref name="queueCapacity"/> frames; frames sent before the peer's Start wait there.
    /// </summary>
    public static (MemoryPort A, MemoryPort B) CreatePair(int mtu = 1500, int queueCapacity = DefaultQueueCapacity)
    {
        var cable = new Cable();
        var a = new MemoryPort("mem:a", mtu, queueCapacity, cable);
        var b = new MemoryPort("mem:b", mtu, queueCapacity, cable);
        cable.Connect(a, b);
        return (a, b);
    }

    private sealed class Cable : IMemoryWire
    {
        private MemoryPort? _a, _b;

        public void Connect(MemoryPort a, MemoryPort b) => (_a, _b) = (a, b);

        public void Carry(MemoryPort from, ReadOnlySpan<byte> frame)
        {
            var to = from == _a ? _b : _a;
            to?.Deliver(frame);
        }

        public void Detach(MemoryPort port)
        {
            // The other end keeps transmitting into the void, like a cable with nothing at the far end.
            if (port == _a) _a = null;
            if (port == _b) _b = null;
        }
    }
}

using System.Buffers.Binary;

namespace Stack.Link.Devices.Pcap;

/// <summary>
/// Writes the classic libpcap file format (not pcapng) that tshark, Wireshark and tcpdump read: a 24-byte global
/// header, then per frame a 16-byte record header and the frame bytes. Fields are little-endian; readers tell the
/// byte order from the magic. Timestamps are in microseconds. Safe to call from several threads.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    public const uint Magic = 0xA1B2C3D4;           // microsecond timestamps
    public const ushort VersionMajor = 2;
    public const ushort VersionMinor = 4;
    public const int DefaultSnapLength = 262144;    // what tcpdump and Wireshark use
    public const uint LinkTypeEthernet = 1;         // LINKTYPE_ETHERNET
    public const int GlobalHeaderLength = 24;
    public const int RecordHeaderLength = 16;

    private readonly object _lock = new();
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _recordHeader = new byte[RecordHeaderLength];
    private bool _disposed;

    public PcapWriter(Stream stream, bool leaveOpen = false, int snapLength = DefaultSnapLength)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 1);
        _stream = stream;
        _leaveOpen = leaveOpen;
        SnapLength = snapLength;
        Span<byte> h = stackalloc byte[GlobalHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], VersionMinor);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], 0);            // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);          // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], LinkTypeEthernet);
        _stream.Write(h);
    }

    /// <summary>A writer on a new file (replacing any old one).</summary>
    public static PcapWriter Create(string path) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16));

    public int SnapLength { get; }

    public long FramesWritten { get; private set; }

    /// <summary>Appends one frame; bytes past the snap length are cut off but its original length is kept.</summary>
    public void Write(ReadOnlySpan<byte> frame, DateTimeOffset time)
    {
        lock (_lock) WriteLocked(frame, time);
    }

    /// <summary>
    /// Appends one frame stamped with <paramref name="clock"/>'s time, read under the writer's lock: frames written
    /// from several threads (the shards of a multi-queue stack) are then in the file in time order.
    /// </summary>
    public void Write(ReadOnlySpan<byte> frame, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        lock (_lock) WriteLocked(frame, clock.GetUtcNow());
    }

    private void WriteLocked(ReadOnlySpan<byte> frame, DateTimeOffset time)
    {
        var micros = (time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        if (micros < 0) throw new ArgumentOutOfRangeException(nameof(time), time, "pcap timestamps start at 1970-01-01");
        var captured = Math.Min(frame.Length, SnapLength);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var h = _recordHeader.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)(micros / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(micros % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)captured);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)frame.Length);
        _stream.Write(h);
        _stream.Write(frame[..captured]);
        FramesWritten++;
    }

    public void Flush()
    {
        lock (_lock)
        {
            if (!_disposed) _stream.Flush();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _stream.Flush();
            if (!_leaveOpen) _stream.Dispose();
        }
    }
}

using System.Runtime.InteropServices;

namespace Stack.Link.Devices.Pcap;

/// <summary>
/// Wraps a device and records every frame it receives and transmits into a pcap file, stamped with the injected
/// clock, so a test run or a live session can be opened in Wireshark or checked with tshark. Pollable when the
/// device it wraps is: the loop then reads through the trace on its own thread.
/// </summary>
public sealed class TracingDevice : IPollableDevice
{
    private readonly ILinkDevice _inner;
    private readonly PcapWriter _writer;
    private readonly TimeProvider _time;
    private readonly bool _ownsWriter;
    private RecordingSink? _polledSink;

    /// <param name="ownsWriter">Dispose the writer (flushing it) when this device is disposed.</param>
    public TracingDevice(ILinkDevice inner, PcapWriter writer, TimeProvider? time = null, bool ownsWriter = true)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(writer);
        _inner = inner;
        _writer = writer;
        _time = time ?? TimeProvider.System;
        _ownsWriter = ownsWriter;
    }

    /// <summary>Traces <paramref name="inner"/> into a new pcap file at <paramref name="path"/>.</summary>
    public static TracingDevice ToFile(ILinkDevice inner, string path, TimeProvider? time = null) =>
        new(inner, PcapWriter.Create(path), time);

    public string Name => _inner.Name;

    public int Mtu => _inner.Mtu;

    public void Start(IFrameSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _inner.Start(new RecordingSink(this, sink));
    }

    public SafeHandle? PollHandle => (_inner as IPollableDevice)?.PollHandle;

    public int ReceiveBatch(IFrameSink sink, int max)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_inner is not IPollableDevice inner)
            throw new InvalidOperationException($"{_inner} cannot be polled (its PollHandle is null); Start it instead.");
        // One poller, one sink: the wrapper is made once, not per batch.
        if (_polledSink is not { } recording || !ReferenceEquals(recording.Sink, sink)) _polledSink = recording = new RecordingSink(this, sink);
        return inner.ReceiveBatch(recording, max);
    }

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        _writer.Write(frame, _time);
        _inner.Transmit(frame);
    }

    // The trace records the frames as TCP sent them, one per segment, as they will be on the wire; the inner
    // device may join them afterwards.
    public bool SegmentationOffload => _inner.SegmentationOffload;

    public void Flush() => _inner.Flush();

    // The trace then holds partial TCP checksums, as a capture on a Linux host with offloads does.
    public bool TryEnableChecksumOffload() => _inner.TryEnableChecksumOffload();

    public void Dispose()
    {
        _inner.Dispose();
        if (_ownsWriter) _writer.Dispose();
        else _writer.Flush();
    }

    public override string ToString() => $"trace:{_inner}";

    private sealed class RecordingSink(TracingDevice device, IFrameSink sink) : IFrameSink
    {
        public IFrameSink Sink => sink;

        public void OnFrame(ReadOnlySpan<byte> frame)
        {
            device._writer.Write(frame, device._time);
            sink.OnFrame(frame);
        }
    }
}

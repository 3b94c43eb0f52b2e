namespace Stack.Sockets.Control;

/// <summary>
/// Reads newline-terminated lines of at most <see cref="ControlProtocol.MaxRequestBytes"/> from a stream, with a
/// fixed buffer: a longer line is reported as <see cref="Line.TooLong"/> rather than read on without end.
/// </summary>
internal sealed class RequestReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[ControlProtocol.MaxRequestBytes + 1];
    private int _start;
    private int _end;

    internal readonly record struct Line(ReadOnlyMemory<byte> Bytes, bool IsEnd, bool TooLong);

    public async ValueTask<Line> ReadLineAsync(CancellationToken cancel)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, newline - _start);
                _start = newline + 1;
                if (line.Length > 0 && line.Span[^1] == '\r') line = line[..^1];
                if (line.Length > ControlProtocol.MaxRequestBytes) return new Line(default, false, true);
                return new Line(line, false, false);
            }
            if (_start > 0)
            {
                Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) return new Line(default, false, true);
            int n = await stream.ReadAsync(_buffer.AsMemory(_end), cancel).ConfigureAwait(false);
            if (n == 0) return new Line(default, true, false);
            _end += n;
        }
    }
}

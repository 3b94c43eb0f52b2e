using System.Buffers.Binary;

namespace Stack.Sockets.Dns.Wire;

/// <summary>
/// Writes a <see cref="DnsMessage"/> (RFC 1035 §4.1), compressing every name whose suffix was written before
/// (§4.1.4). Records of the types <see cref="DnsRecord"/> decodes are written from their decoded fields, the
/// others from <see cref="DnsRecord.Data"/>.
/// </summary>
public sealed class DnsWriter
{
    /// <summary>A message over TCP is at most 65535 bytes (its length prefix is 16 bits).</summary>
    public const int MaxLength = ushort.MaxValue;

    private const int MaxPointerTarget = 0x3FFF;

    private readonly byte[] _buffer = new byte[MaxLength];
    private readonly Dictionary<string, int> _suffixes = new(StringComparer.Ordinal);
    private int _length;

    /// <summary>The message's bytes. Throws <see cref="ArgumentException"/> for a bad name and when it would exceed <see cref="MaxLength"/>.</summary>
    public static byte[] Write(DnsMessage message) => new DnsWriter().Serialize(message);

    private byte[] Serialize(DnsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.Header.Write(_buffer, message.Questions.Count, message.Answers.Count, message.Authorities.Count, message.Additionals.Count);
        _length = DnsHeader.Length;
        foreach (var q in message.Questions)
        {
            WriteName(q.Name);
            WriteUInt16((ushort)q.Type);
            WriteUInt16((ushort)q.Class);
        }
        foreach (var section in new[] { message.Answers, message.Authorities, message.Additionals })
            foreach (var record in section) WriteRecord(record);
        return _buffer.AsSpan(0, _length).ToArray();
    }

    private void WriteRecord(DnsRecord record)
    {
        WriteName(record.Name);
        WriteUInt16((ushort)record.Type);
        WriteUInt16((ushort)record.Class);
        WriteUInt32(record.Ttl);
        int lengthAt = _length;
        WriteUInt16(0);
        if (record.Address is { } address && record.Type is DnsRecordType.A or DnsRecordType.AAAA) WriteBytes(address.GetAddressBytes());
        else if (record.Target is { } target) WriteName(target);
        else if (record.Soa is { } soa)
        {
            WriteName(soa.PrimaryServer);
            WriteName(soa.Mailbox);
            foreach (uint n in new[] { soa.Serial, soa.Refresh, soa.Retry, soa.Expire, soa.Minimum }) WriteUInt32(n);
        }
        else WriteBytes(record.Data);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(lengthAt), (ushort)(_length - lengthAt - 2));
    }

    private void WriteName(string name)
    {
        var labels = DnsName.Labels(name);
        for (int i = 0; i < labels.Count; i++)
        {
            var suffix = string.Join('.', labels.Skip(i).Select(l => Convert.ToHexString(l)));
            if (_suffixes.TryGetValue(suffix, out int at))
            {
                WriteUInt16((ushort)(0xC000 | at));
                return;
            }
            if (_length <= MaxPointerTarget) _suffixes[suffix] = _length;
            Reserve(1 + labels[i].Length);
            _buffer[_length++] = (byte)labels[i].Length;
            WriteBytes(labels[i]);
        }
        Reserve(1);
        _buffer[_length++] = 0;
    }

    private void WriteUInt16(ushort value)
    {
        Reserve(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    private void WriteUInt32(uint value)
    {
        Reserve(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    private void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Reserve(int count)
    {
        if (_length + count > MaxLength) throw new ArgumentException($"the message would exceed {MaxLength} bytes");
    }
}

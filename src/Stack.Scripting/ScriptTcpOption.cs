using System.Buffers.Binary;
using System.Text;
using Stack.Tcp.Wire;

namespace Stack.Scripting;

/// <summary>
/// One TCP option as a script spells it, in the script's order: <c>mss 1460</c>, <c>wscale 7</c>, <c>sackOK</c>,
/// <c>sack 1001:2001</c>, <c>TS val 100 ecr 0</c>, <c>nop</c>, <c>eol</c>. Values may be <c>...</c> on outbound
/// lines. <see cref="Encode(IReadOnlyList{ScriptTcpOption}, Span{byte})"/> lays a list out byte for byte; <see cref="TryDecode"/> reads wire bytes back into a list.
/// </summary>
public abstract record ScriptTcpOption
{
    private ScriptTcpOption() { }

    /// <summary>Bytes this option takes on the wire.</summary>
    public abstract int EncodedLength { get; }

    public sealed record Nop : ScriptTcpOption
    {
        public override int EncodedLength => 1;
        public override string ToString() => "nop";
    }

    public sealed record Eol : ScriptTcpOption
    {
        public override int EncodedLength => 1;
        public override string ToString() => "eol";
    }

    public sealed record Mss(ScriptNumber Value) : ScriptTcpOption
    {
        public override int EncodedLength => 4;
        public override string ToString() => $"mss {Value}";
    }

    public sealed record WindowScale(ScriptNumber Shift) : ScriptTcpOption
    {
        public override int EncodedLength => 3;
        public override string ToString() => $"wscale {Shift}";
    }

    public sealed record SackPermitted : ScriptTcpOption
    {
        public override int EncodedLength => 2;
        public override string ToString() => "sackOK";
    }

    /// <summary>SACK blocks as <c>left:right</c>, relative to the ISN of the side whose data they acknowledge.</summary>
    public sealed record Sack(ValueList<SackBlock> Blocks) : ScriptTcpOption
    {
        public override int EncodedLength => 2 + 8 * Blocks.Count;
        public override string ToString() => "sack " + string.Join(' ', Blocks);
    }

    public sealed record Timestamp(ScriptNumber Value, ScriptNumber Echo) : ScriptTcpOption
    {
        public override int EncodedLength => 10;
        public override string ToString() => $"TS val {Value} ecr {Echo}";
    }

    /// <summary>
    /// TCP Fast Open (RFC 7413): <c>FO</c> (kind 34) or <c>FOEXP</c> (kind 254, ExID 0xF989), with a cookie in hex or
    /// none (a request). <c>TFO_COOKIE</c> stands for the cookie Linux makes for the script's address under the
    /// suite's defaults.sh key, as packetdrill's run_all.py defines it; the runner fills it in.
    /// </summary>
    public sealed record FastOpen(bool Experimental, ValueList<byte> Cookie, bool IsLinuxDefault = false) : ScriptTcpOption
    {
        public const string LinuxDefaultName = "TFO_COOKIE";

        public override int EncodedLength => (Experimental ? 4 : 2) + (IsLinuxDefault ? 8 : Cookie.Count);

        /// <summary>This option with <c>TFO_COOKIE</c> replaced by <paramref name="linuxDefault"/>.</summary>
        public FastOpen Resolve(FastOpenCookie linuxDefault) =>
            IsLinuxDefault ? new FastOpen(Experimental, new ValueList<byte>(linuxDefault.ToArray())) : this;

        public override string ToString() => (Experimental ? "FOEXP" : "FO")
            + (IsLinuxDefault ? " " + LinuxDefaultName : Cookie.Count > 0 ? " " + Convert.ToHexStringLower(Cookie.ToArray()) : "");
    }

    /// <summary>
    /// RFC 2385 TCP MD5 signature (kind 19, length 18): <c>md5</c> and a digest of up to 16 bytes in hex, padded
    /// with zeros, as packetdrill's new_md5_option writes it.
    /// </summary>
    public sealed record Md5(ValueList<byte> Digest) : ScriptTcpOption
    {
        public const int DigestLength = 16;
        public override int EncodedLength => 2 + DigestLength;
        public override string ToString() => "md5 " + Convert.ToHexStringLower(Digest.ToArray());
    }

    /// <summary>An option this notation has no name for, as read from the wire: <c>kind 30 len 4</c>.</summary>
    public sealed record Unknown(byte Kind, ValueList<byte> Body) : ScriptTcpOption
    {
        public override int EncodedLength => 2 + Body.Count;
        public override string ToString() => $"kind {Kind} len {EncodedLength}";
    }

    public static string FormatList(IEnumerable<ScriptTcpOption> options) => "<" + string.Join(',', options) + ">";

    public static int EncodedLengthOf(IEnumerable<ScriptTcpOption> options) => options.Sum(o => o.EncodedLength);

    /// <summary>
    /// Writes <paramref name="options"/> in their order, exactly as written (no padding, no reordering), and returns
    /// the byte count. Every value must be exact: <c>...</c> has no bytes.
    /// </summary>
    public static int Encode(IReadOnlyList<ScriptTcpOption> options, Span<byte> buffer)
    {
        int total = EncodedLengthOf(options);
        if (buffer.Length < total)
            throw new ArgumentException($"The buffer holds {buffer.Length} bytes; the options need {total}.", nameof(buffer));
        int i = 0;
        foreach (var option in options)
        {
            switch (option)
            {
                case Nop:
                    buffer[i] = 1;
                    break;
                case Eol:
                    buffer[i] = 0;
                    break;
                case Mss m:
                    buffer[i] = 2;
                    buffer[i + 1] = 4;
                    BinaryPrimitives.WriteUInt16BigEndian(buffer[(i + 2)..], checked((ushort)Exact(m.Value, "mss")));
                    break;
                case WindowScale w:
                    buffer[i] = 3;
                    buffer[i + 1] = 3;
                    buffer[i + 2] = checked((byte)Exact(w.Shift, "wscale"));
                    break;
                case SackPermitted:
                    buffer[i] = 4;
                    buffer[i + 1] = 2;
                    break;
                case Sack s:
                    buffer[i] = 5;
                    buffer[i + 1] = (byte)s.EncodedLength;
                    for (int b = 0; b < s.Blocks.Count; b++)
                    {
                        BinaryPrimitives.WriteUInt32BigEndian(buffer[(i + 2 + 8 * b)..], s.Blocks[b].Left);
                        BinaryPrimitives.WriteUInt32BigEndian(buffer[(i + 6 + 8 * b)..], s.Blocks[b].Right);
                    }
                    break;
                case Timestamp t:
                    buffer[i] = 8;
                    buffer[i + 1] = 10;
                    BinaryPrimitives.WriteUInt32BigEndian(buffer[(i + 2)..], Exact(t.Value, "TS val"));
                    BinaryPrimitives.WriteUInt32BigEndian(buffer[(i + 6)..], Exact(t.Echo, "TS ecr"));
                    break;
                case FastOpen f:
                    if (f.IsLinuxDefault)
                        throw new InvalidOperationException($"'{f}' cannot be sent before the runner gives {FastOpen.LinuxDefaultName} its value.");
                    buffer[i] = f.Experimental ? (byte)254 : (byte)34;
                    buffer[i + 1] = (byte)f.EncodedLength;
                    int at = i + 2;
                    if (f.Experimental)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], 0xF989);
                        at += 2;
                    }
                    for (int b = 0; b < f.Cookie.Count; b++) buffer[at + b] = f.Cookie[b];
                    break;
                case Md5 m:
                    buffer[i] = 19;
                    buffer[i + 1] = (byte)m.EncodedLength;
                    buffer.Slice(i + 2, Md5.DigestLength).Clear();
                    for (int b = 0; b < m.Digest.Count; b++) buffer[i + 2 + b] = m.Digest[b];
                    break;
                case Unknown u:
                    buffer[i] = u.Kind;
                    buffer[i + 1] = (byte)u.EncodedLength;
                    for (int b = 0; b < u.Body.Count; b++) buffer[i + 2 + b] = u.Body[b];
                    break;
            }
            i += option.EncodedLength;
        }
        return i;
    }

    public static byte[] Encode(IReadOnlyList<ScriptTcpOption> options)
    {
        var bytes = new byte[EncodedLengthOf(options)];
        Encode(options, bytes);
        return bytes;
    }

    private static uint Exact(ScriptNumber n, string what) => n.IsExact ? n.Value
        : throw new InvalidOperationException($"'{what} ...' cannot be sent: an injected option needs a number.");

    /// <summary>
    /// Reads wire option bytes into a list in wire order, so they compare one by one with a script's list. Stops at
    /// EOL (which is listed) and at a malformed option, returning false with what was read before it.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out ValueList<ScriptTcpOption> options)
    {
        var list = new List<ScriptTcpOption>();
        int i = 0;
        bool ok = true;
        while (i < bytes.Length)
        {
            byte kind = bytes[i];
            if (kind == 0) { list.Add(new Eol()); break; }
            if (kind == 1) { list.Add(new Nop()); i++; continue; }
            if (i + 1 >= bytes.Length || bytes[i + 1] < 2 || bytes[i + 1] > bytes.Length - i) { ok = false; break; }
            int length = bytes[i + 1];
            var body = bytes.Slice(i + 2, length - 2);
            list.Add((kind, length) switch
            {
                (2, 4) => new Mss(ScriptNumber.Of(BinaryPrimitives.ReadUInt16BigEndian(body))),
                (3, 3) => new WindowScale(ScriptNumber.Of(body[0])),
                (4, 2) => new SackPermitted(),
                (8, 10) => new Timestamp(ScriptNumber.Of(BinaryPrimitives.ReadUInt32BigEndian(body)),
                    ScriptNumber.Of(BinaryPrimitives.ReadUInt32BigEndian(body[4..]))),
                (5, _) when length > 2 && (length - 2) % 8 == 0 => new Sack(new ValueList<SackBlock>(ReadSackBlocks(body))),
                (34, _) => new FastOpen(false, new ValueList<byte>(body.ToArray())),
                (19, 18) => new Md5(new ValueList<byte>(body.ToArray())),
                (254, >= 4) when BinaryPrimitives.ReadUInt16BigEndian(body) == 0xF989 => new FastOpen(true, new ValueList<byte>(body[2..].ToArray())),
                _ => new Unknown(kind, new ValueList<byte>(body.ToArray())),
            });
            i += length;
        }
        options = new ValueList<ScriptTcpOption>(list);
        return ok;
    }

    private static List<SackBlock> ReadSackBlocks(ReadOnlySpan<byte> body)
    {
        var blocks = new List<SackBlock>();
        for (int b = 0; b + 8 <= body.Length; b += 8)
            blocks.Add(new SackBlock(BinaryPrimitives.ReadUInt32BigEndian(body[b..]), BinaryPrimitives.ReadUInt32BigEndian(body[(b + 4)..])));
        return blocks;
    }

    /// <summary>True when <paramref name="actual"/> satisfies this expected option (<c>...</c> values accept anything).</summary>
    public bool Accepts(ScriptTcpOption actual, bool checkTimestampValue) => (this, actual) switch
    {
        (Mss e, Mss a) => e.Value.Accepts(a.Value.Value),
        (WindowScale e, WindowScale a) => e.Shift.Accepts(a.Shift.Value),
        (Timestamp e, Timestamp a) => (!checkTimestampValue || e.Value.Accepts(a.Value.Value)) && e.Echo.Accepts(a.Echo.Value),
        _ => Equals(actual),
    };

    internal static string Describe(ReadOnlySpan<byte> bytes)
    {
        bool ok = TryDecode(bytes, out var list);
        var s = new StringBuilder(FormatList(list));
        if (!ok) s.Insert(s.Length - 1, list.Count == 0 ? "malformed" : ",malformed");
        return s.ToString();
    }
}

/// <summary>One SACK block, <c>left:right</c>.</summary>
public readonly record struct SackBlock(uint Left, uint Right)
{
    public override string ToString() => $"{Left}:{Right}";
}

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using Stack.Link.Diagnostics;

namespace Stack.Tcp.Wire;

/// <summary>
/// The TCP options this stack understands (RFC 9293 §3.2, RFC 7323, RFC 2018), as a plain value: no heap
/// allocation, SACK blocks held inline.
/// </summary>
public struct TcpOptions : IEquatable<TcpOptions>
{
    /// <summary>The option space: a data offset of 15 words less the 20-byte fixed header.</summary>
    public const int MaxLength = 40;
    public const int MaxSackBlocks = 4;

    internal const byte KindEol = 0;
    internal const byte KindNop = 1;
    internal const byte KindMss = 2;
    internal const byte KindWindowScale = 3;
    internal const byte KindSackPermitted = 4;
    internal const byte KindSack = 5;
    internal const byte KindTimestamps = 8;
    internal const byte KindMd5Signature = 19;
    internal const byte KindFastOpen = 34;
    internal const byte KindExperimental = 254;
    internal const ushort FastOpenMagic = 0xF989; // RFC 6994 ExID of Fast Open's experimental option.

    private const int LengthMss = 4;
    private const int LengthWindowScale = 3;
    private const int LengthSackPermitted = 2;
    private const int LengthTimestamps = 10;
    private const int LengthSackBase = 2;
    private const int LengthSackBlock = 8;
    private const int LengthFastOpenBase = 2;
    private const int LengthMd5Signature = 18;
    private const int LengthExperimentalBase = 4;

    private SackEdges _sackEdges;

    /// <summary>Maximum segment size (RFC 9293 §3.7.1), sent on SYNs.</summary>
    public ushort? Mss { get; set; }

    /// <summary>
    /// The window scale shift (RFC 7323 §2), as received: values above 14 are kept, and clamping them (RFC 7323
    /// §2.3) is the connection's business.
    /// </summary>
    public byte? WindowScale { get; set; }

    /// <summary>RFC 2018 §2: the sender may receive SACK options.</summary>
    public bool SackPermitted { get; set; }

    /// <summary>RFC 7323 §3: a timestamps option is present; <see cref="TsVal"/> and <see cref="TsEcr"/> hold it.</summary>
    public bool HasTimestamps { get; set; }

    public uint TsVal { get; set; }
    public uint TsEcr { get; set; }

    /// <summary>
    /// RFC 7413 §4.1.1: the Fast Open option, a cookie or (empty) a request for one; only meaningful on SYN and
    /// SYN-ACK. Null when absent or malformed (an odd length, or one outside 4-16: Linux ignores those too).
    /// </summary>
    public FastOpenCookie? FastOpen { get; set; }

    /// <summary>
    /// The Fast Open option is the experimental one (kind 254 with ExID 0xF989, RFC 6994) that Linux spoke before
    /// kind 34 was assigned; a server answers in the form it was asked in.
    /// </summary>
    public bool FastOpenExperimental { get; set; }

    /// <summary>
    /// RFC 2385: a TCP MD5 signature option (kind 19, length 18, as Linux's tcp_parse_md5sig_option takes it) is
    /// present. Only read, never written: the stack has no MD5 keys.
    /// </summary>
    public bool HasMd5Signature { get; set; }

    /// <summary>How many SACK blocks (RFC 2018 §3) are held, at most <see cref="MaxSackBlocks"/>.</summary>
    public int SackBlockCount { readonly get; private set; }

    public readonly (uint Left, uint Right) GetSackBlock(int i)
    {
        if ((uint)i >= (uint)SackBlockCount)
            throw new ArgumentOutOfRangeException(nameof(i), i, $"There are {SackBlockCount} SACK blocks.");
        return (_sackEdges[2 * i], _sackEdges[2 * i + 1]);
    }

    /// <summary>Appends a SACK block: the first is the most recently received (RFC 2018 §4).</summary>
    public void AddSackBlock(uint left, uint right)
    {
        if (SackBlockCount == MaxSackBlocks)
            throw new InvalidOperationException($"A TCP header has room for at most {MaxSackBlocks} SACK blocks.");
        _sackEdges[2 * SackBlockCount] = left;
        _sackEdges[2 * SackBlockCount + 1] = right;
        SackBlockCount++;
    }

    public void ClearSackBlocks() => SackBlockCount = 0;

    /// <summary>
    /// Parses an option list. EOL ends it; NOP is one byte; every other option has a length byte of at least 2
    /// that must fit in the list, else <see cref="RejectReason.BadOption"/>. As Linux's <c>tcp_parse_options</c>
    /// does, a known option with the wrong length (MSS ≠ 4, window scale ≠ 3, SACK-permitted ≠ 2, timestamps
    /// ≠ 10, SACK not 2 + 8n with n ≥ 1) is skipped rather than rejected, unknown options are skipped by their
    /// length, and a repeated option overwrites the earlier one. Unlike Linux, MSS, window scale and
    /// SACK-permitted are parsed on any segment; whether they count outside a SYN is for the connection to say.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> options, out TcpOptions parsed, out RejectReason reason)
    {
        parsed = default;
        int i = 0;
        while (i < options.Length)
        {
            byte kind = options[i];
            if (kind == KindEol)
                break;
            if (kind == KindNop)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length || options[i + 1] < 2 || options[i + 1] > options.Length - i)
            {
                parsed = default;
                reason = RejectReason.BadOption;
                return false;
            }
            int length = options[i + 1];
            var body = options.Slice(i + 2, length - 2);
            switch (kind)
            {
                case KindMd5Signature when length == LengthMd5Signature:
                    parsed.HasMd5Signature = true;
                    break;
                case KindMss when length == LengthMss:
                    parsed.Mss = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case KindWindowScale when length == LengthWindowScale:
                    parsed.WindowScale = body[0];
                    break;
                case KindSackPermitted when length == LengthSackPermitted:
                    parsed.SackPermitted = true;
                    break;
                case KindTimestamps when length == LengthTimestamps:
                    parsed.HasTimestamps = true;
                    parsed.TsVal = BinaryPrimitives.ReadUInt32BigEndian(body);
                    parsed.TsEcr = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                    break;
                case KindFastOpen:
                    parsed.SetFastOpen(body, experimental: false);
                    break;
                case KindExperimental when length >= LengthExperimentalBase && BinaryPrimitives.ReadUInt16BigEndian(body) == FastOpenMagic:
                    parsed.SetFastOpen(body[2..], experimental: true);
                    break;
                case KindSack when length > LengthSackBase && (length - LengthSackBase) % LengthSackBlock == 0:
                    // In a real header 2 + 8n ≤ 40 bytes, so n ≤ 4; a longer option list (handed in directly)
                    // keeps the first four blocks rather than throwing.
                    parsed.ClearSackBlocks();
                    for (int b = 0; b < body.Length && parsed.SackBlockCount < MaxSackBlocks; b += LengthSackBlock)
                        parsed.AddSackBlock(BinaryPrimitives.ReadUInt32BigEndian(body[b..]),
                            BinaryPrimitives.ReadUInt32BigEndian(body[(b + 4)..]));
                    break;
            }
            i += length;
        }
        reason = RejectReason.None;
        return true;
    }

    private void SetFastOpen(ReadOnlySpan<byte> cookie, bool experimental)
    {
        FastOpen = FastOpenCookie.IsValidLength(cookie.Length) ? FastOpenCookie.From(cookie) : null;
        FastOpenExperimental = experimental;
    }

    /// <summary>Bytes the Fast Open option takes, padded with NOPs to a multiple of 4.</summary>
    private readonly int FastOpenSpace =>
        FastOpen is { } c ? ((FastOpenExperimental ? LengthExperimentalBase : LengthFastOpenBase) + c.Length + 3) & ~3 : 0;

    /// <summary>Bytes <see cref="Write"/> produces: a multiple of 4, at most <see cref="MaxLength"/>.</summary>
    public readonly int EncodedLength
    {
        get
        {
            int n = FixedLength;
            return n + SackSpace(n);
        }
    }

    /// <summary>Everything but the SACK blocks, each piece already a multiple of 4.</summary>
    private readonly int FixedLength =>
        (Mss.HasValue ? 4 : 0) + (HasTimestamps ? 12 : SackPermitted ? 4 : 0) + (WindowScale.HasValue ? 4 : 0) + FastOpenSpace;

    private readonly int SackBlocksThatFit(int used) =>
        SackBlockCount == 0 ? 0 : Math.Min(SackBlockCount, (MaxLength - used - 4) / LengthSackBlock);

    private readonly int SackSpace(int used) =>
        SackBlocksThatFit(used) is var n and > 0 ? 4 + n * LengthSackBlock : 0;

    /// <summary>
    /// Writes the options in Linux's layout (<c>tcp_options_write</c>), so traces compare directly with the
    /// kernel's: MSS; SACK-permitted and timestamps as <c>SACK_PERM TS</c> or <c>NOP NOP TS</c>; SACK-permitted
    /// without timestamps as <c>NOP NOP SACK_PERM</c>; <c>NOP WS</c>; <c>NOP NOP SACK</c> with as many blocks as
    /// fit in what is left of the 40 bytes; the Fast Open option last, NOP-padded (<c>FO cookie,nop,nop</c>). Every
    /// piece is a multiple of 4, so no padding is needed after.
    /// Returns <see cref="EncodedLength"/>.
    /// </summary>
    public readonly int Write(Span<byte> buffer)
    {
        int total = EncodedLength;
        if (buffer.Length < total)
            throw new ArgumentException($"The buffer holds {buffer.Length} bytes; the options need {total}.", nameof(buffer));
        int i = 0;
        if (Mss is ushort mss)
        {
            buffer[i] = KindMss;
            buffer[i + 1] = LengthMss;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(i + 2)..], mss);
            i += 4;
        }
        if (HasTimestamps)
        {
            buffer[i] = SackPermitted ? KindSackPermitted : KindNop;
            buffer[i + 1] = SackPermitted ? (byte)LengthSackPermitted : KindNop;
            buffer[i + 2] = KindTimestamps;
            buffer[i + 3] = LengthTimestamps;
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(i + 4)..], TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(i + 8)..], TsEcr);
            i += 12;
        }
        else if (SackPermitted)
        {
            buffer[i] = KindNop;
            buffer[i + 1] = KindNop;
            buffer[i + 2] = KindSackPermitted;
            buffer[i + 3] = LengthSackPermitted;
            i += 4;
        }
        if (WindowScale is byte shift)
        {
            buffer[i] = KindNop;
            buffer[i + 1] = KindWindowScale;
            buffer[i + 2] = LengthWindowScale;
            buffer[i + 3] = shift;
            i += 4;
        }
        int blocks = SackBlocksThatFit(i + FastOpenSpace);
        if (blocks > 0)
        {
            buffer[i] = KindNop;
            buffer[i + 1] = KindNop;
            buffer[i + 2] = KindSack;
            buffer[i + 3] = (byte)(LengthSackBase + blocks * LengthSackBlock);
            i += 4;
            for (int b = 0; b < blocks; b++, i += LengthSackBlock)
            {
                BinaryPrimitives.WriteUInt32BigEndian(buffer[i..], _sackEdges[2 * b]);
                BinaryPrimitives.WriteUInt32BigEndian(buffer[(i + 4)..], _sackEdges[2 * b + 1]);
            }
        }
        if (FastOpen is { } cookie)
        {
            int start = i;
            if (FastOpenExperimental)
            {
                buffer[i] = KindExperimental;
                buffer[i + 1] = (byte)(LengthExperimentalBase + cookie.Length);
                BinaryPrimitives.WriteUInt16BigEndian(buffer[(i + 2)..], FastOpenMagic);
                i += LengthExperimentalBase;
            }
            else
            {
                buffer[i] = KindFastOpen;
                buffer[i + 1] = (byte)(LengthFastOpenBase + cookie.Length);
                i += LengthFastOpenBase;
            }
            i += cookie.CopyTo(buffer[i..]);
            while (i < start + FastOpenSpace) buffer[i++] = KindNop;
        }
        return i;
    }

    public readonly bool Equals(TcpOptions other)
    {
        if (Mss != other.Mss || WindowScale != other.WindowScale || SackPermitted != other.SackPermitted
            || HasTimestamps != other.HasTimestamps || TsVal != other.TsVal || TsEcr != other.TsEcr
            || SackBlockCount != other.SackBlockCount || FastOpen != other.FastOpen
            || FastOpenExperimental != other.FastOpenExperimental)
            return false;
        for (int i = 0; i < 2 * SackBlockCount; i++)
            if (_sackEdges[i] != other._sackEdges[i])
                return false;
        return true;
    }

    public override readonly bool Equals(object? obj) => obj is TcpOptions o && Equals(o);

    public override readonly int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Mss);
        h.Add(WindowScale);
        h.Add(SackPermitted);
        h.Add(HasTimestamps);
        h.Add(TsVal);
        h.Add(TsEcr);
        h.Add(FastOpen);
        h.Add(FastOpenExperimental);
        for (int i = 0; i < 2 * SackBlockCount; i++)
            h.Add(_sackEdges[i]);
        return h.ToHashCode();
    }

    public static bool operator ==(TcpOptions left, TcpOptions right) => left.Equals(right);
    public static bool operator !=(TcpOptions left, TcpOptions right) => !left.Equals(right);

    /// <summary>The options as packetdrill prints them, in wire order: <c>&lt;mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7&gt;</c>; empty when there are none.</summary>
    public override readonly string ToString()
    {
        Span<byte> bytes = stackalloc byte[MaxLength];
        int length = Write(bytes);
        return length == 0 ? "" : Describe(bytes[..length]);
    }

    /// <summary>Any option list in packetdrill notation, unknown and malformed options included.</summary>
    public static string Describe(ReadOnlySpan<byte> options)
    {
        var s = new StringBuilder("<");
        int i = 0;
        while (i < options.Length)
        {
            if (s.Length > 1) s.Append(',');
            byte kind = options[i];
            if (kind == KindEol) { s.Append("eol"); break; }
            if (kind == KindNop) { s.Append("nop"); i++; continue; }
            if (i + 1 >= options.Length || options[i + 1] < 2 || options[i + 1] > options.Length - i)
            {
                s.Append("malformed kind ").Append(kind);
                break;
            }
            int length = options[i + 1];
            var body = options.Slice(i + 2, length - 2);
            switch (kind)
            {
                case KindMss when length == LengthMss:
                    s.Append("mss ").Append(BinaryPrimitives.ReadUInt16BigEndian(body));
                    break;
                case KindWindowScale when length == LengthWindowScale:
                    s.Append("wscale ").Append(body[0]);
                    break;
                case KindSackPermitted when length == LengthSackPermitted:
                    s.Append("sackOK");
                    break;
                case KindTimestamps when length == LengthTimestamps:
                    s.Append("TS val ").Append(BinaryPrimitives.ReadUInt32BigEndian(body))
                        .Append(" ecr ").Append(BinaryPrimitives.ReadUInt32BigEndian(body[4..]));
                    break;
                case KindSack when length > LengthSackBase && (length - LengthSackBase) % LengthSackBlock == 0:
                    s.Append("sack");
                    for (int b = 0; b < body.Length; b += LengthSackBlock)
                        s.Append(' ').Append(BinaryPrimitives.ReadUInt32BigEndian(body[b..]))
                            .Append(':').Append(BinaryPrimitives.ReadUInt32BigEndian(body[(b + 4)..]));
                    break;
                case KindFastOpen when FastOpenCookie.IsValidLength(length - LengthFastOpenBase):
                    s.Append("FO");
                    if (length > LengthFastOpenBase) s.Append(' ').Append(Convert.ToHexStringLower(body));
                    break;
                case KindExperimental when length >= LengthExperimentalBase && BinaryPrimitives.ReadUInt16BigEndian(body) == FastOpenMagic
                    && FastOpenCookie.IsValidLength(length - LengthExperimentalBase):
                    s.Append("FOEXP");
                    if (length > LengthExperimentalBase) s.Append(' ').Append(Convert.ToHexStringLower(body[2..]));
                    break;
                default:
                    s.Append("kind ").Append(kind).Append(" len ").Append(length);
                    break;
            }
            i += length;
        }
        return s.Append('>').ToString();
    }

    /// <summary>Left and right edges of up to four SACK blocks, inline.</summary>
    [InlineArray(2 * MaxSackBlocks)]
    private struct SackEdges
    {
        private uint _element;
    }
}

using System.Text;

namespace Stack.Sockets.Dns.Wire;

/// <summary>
/// Domain names (RFC 1035 §2.3.4, §3.1, §4.1.4) as text and on the wire. The text form is the presentation one
/// without the final dot ("www.example.com", "." for the root); a byte that is not printable ASCII, and a '.' or
/// '\' inside a label, is written \DDD or \. and \\ (RFC 4343 §2.1), so names compare as ASCII, case-insensitively
/// (<see cref="Comparer"/>).
/// </summary>
public static class DnsName
{
    /// <summary>RFC 1035 §2.3.4: a label is 63 bytes at most.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>RFC 1035 §2.3.4: a name is 255 bytes at most on the wire, length bytes and the root's zero included.</summary>
    public const int MaxLength = 255;

    /// <summary>Names are equal when their ASCII letters match regardless of case (RFC 4343).</summary>
    public static StringComparer Comparer => StringComparer.OrdinalIgnoreCase;

    /// <summary>
    /// Reads the (possibly compressed) name at <paramref name="offset"/> of <paramref name="message"/> and moves
    /// <paramref name="offset"/> past it: past its first pointer when it has one. A pointer must point before the
    /// start of the labels it ends (the name's own start, or the previous pointer's target): what a compressing
    /// writer produces, and it guarantees the walk ends.
    /// </summary>
    public static DnsRejectReason TryRead(ReadOnlySpan<byte> message, ref int offset, out string name)
    {
        name = "";
        var text = new StringBuilder();
        int position = offset, runStart = offset, resume = -1, wireLength = 1;
        while (true)
        {
            if (position >= message.Length) return DnsRejectReason.Truncated;
            byte length = message[position];
            switch (length & 0xC0)
            {
                case 0xC0:
                    if (position + 1 >= message.Length) return DnsRejectReason.Truncated;
                    int target = ((length & 0x3F) << 8) | message[position + 1];
                    if (target >= message.Length) return DnsRejectReason.PointerOutOfBounds;
                    if (target >= runStart) return DnsRejectReason.PointerLoop;
                    if (resume < 0) resume = position + 2;
                    position = runStart = target;
                    continue;
                case 0x00 when length == 0:
                    offset = resume < 0 ? position + 1 : resume;
                    name = text.Length == 0 ? "." : text.ToString(0, text.Length - 1);
                    return DnsRejectReason.None;
                case 0x00:
                    wireLength += 1 + length;
                    if (wireLength > MaxLength) return DnsRejectReason.NameTooLong;
                    if (position + 1 + length > message.Length) return DnsRejectReason.Truncated;
                    AppendLabel(text, message.Slice(position + 1, length));
                    text.Append('.');
                    position += 1 + length;
                    continue;
                default:
                    return DnsRejectReason.BadLabelType;
            }
        }
    }

    /// <summary>
    /// The labels of <paramref name="name"/> (text form, a final dot allowed) as bytes, escapes decoded. Throws
    /// <see cref="ArgumentException"/> for an empty label, a label over 63 bytes, a name over 255, or a bad escape.
    /// </summary>
    public static List<byte[]> Labels(string name)
    {
        if (!TryLabels(name, out var labels, out var error)) throw new ArgumentException($"'{name}' is not a domain name: {error}", nameof(name));
        return labels;
    }

    /// <summary>The canonical text form of <paramref name="name"/>: no final dot, escapes as <see cref="TryRead"/> writes them.</summary>
    public static string Normalize(string name)
    {
        var labels = Labels(name);
        if (labels.Count == 0) return ".";
        var text = new StringBuilder();
        foreach (var label in labels)
        {
            if (text.Length > 0) text.Append('.');
            AppendLabel(text, label);
        }
        return text.ToString();
    }

    /// <summary>Like <see cref="Labels"/>, without throwing.</summary>
    public static bool TryLabels(string name, out List<byte[]> labels, out string? error)
    {
        ArgumentNullException.ThrowIfNull(name);
        labels = [];
        error = null;
        if (name.Length == 0) return Fail("empty name", out error);
        if (name == ".") return true;
        var label = new List<byte>();
        int wireLength = 1;
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (c == '.')
            {
                if (label.Count == 0) return Fail("empty label", out error);
                if (!AddLabel(labels, label, ref wireLength, out error)) return false;
                if (i == name.Length - 1) return true; // The final dot of a fully qualified name.
                continue;
            }
            if (c == '\\')
            {
                if (i + 1 >= name.Length) return Fail("'\\' at the end", out error);
                if (char.IsAsciiDigit(name[i + 1]))
                {
                    if (i + 3 >= name.Length || !char.IsAsciiDigit(name[i + 2]) || !char.IsAsciiDigit(name[i + 3]) ||
                        int.Parse(name.AsSpan(i + 1, 3), System.Globalization.CultureInfo.InvariantCulture) is not (var value and <= 255))
                        return Fail("\\DDD needs three digits, up to 255", out error);
                    label.Add((byte)value);
                    i += 3;
                }
                else
                {
                    label.Add((byte)name[++i]);
                }
                continue;
            }
            if (c > 0x7E || c < 0x21) return Fail($"character U+{(int)c:X4} (write IDNs as A-labels, xn--...)", out error);
            label.Add((byte)c);
        }
        if (label.Count == 0) return Fail("empty label", out error);
        return AddLabel(labels, label, ref wireLength, out error);
    }

    private static bool AddLabel(List<byte[]> labels, List<byte> label, ref int wireLength, out string? error)
    {
        error = null;
        if (label.Count > MaxLabelLength) return Fail($"a label of {label.Count} bytes (at most {MaxLabelLength})", out error);
        wireLength += 1 + label.Count;
        if (wireLength > MaxLength) return Fail($"longer than {MaxLength} bytes", out error);
        labels.Add([.. label]);
        label.Clear();
        return true;
    }

    private static bool Fail(string reason, out string? error)
    {
        error = reason;
        return false;
    }

    private static void AppendLabel(StringBuilder text, ReadOnlySpan<byte> label)
    {
        foreach (byte b in label)
        {
            if (b is (byte)'.' or (byte)'\\') text.Append('\\').Append((char)b);
            else if (b is >= 0x21 and <= 0x7E) text.Append((char)b);
            else text.Append('\\').Append(b.ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}

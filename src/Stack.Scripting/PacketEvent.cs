using System.Text;
using Stack.Tcp.Wire;

namespace Stack.Scripting;

/// <summary><c>&lt;</c>: the script injects the segment; <c>&gt;</c>: the stack must send it.</summary>
public enum PacketDirection
{
    In,
    Out,
}

public enum ScriptNumberKind
{
    /// <summary>Not written at all (e.g. no <c>win</c> clause).</summary>
    Absent,

    /// <summary>Written as a number.</summary>
    Exact,

    /// <summary>Written as <c>...</c>: not checked (outbound only).</summary>
    Any,
}

/// <summary>A number in a packet line that may be left out or written <c>...</c>.</summary>
public readonly record struct ScriptNumber(ScriptNumberKind Kind, uint Value)
{
    public static ScriptNumber Absent => default;
    public static ScriptNumber Any => new(ScriptNumberKind.Any, 0);
    public static ScriptNumber Of(uint value) => new(ScriptNumberKind.Exact, value);

    public bool IsExact => Kind == ScriptNumberKind.Exact;

    /// <summary>True when <paramref name="actual"/> satisfies this: equal, or not checked.</summary>
    public bool Accepts(uint actual) => Kind != ScriptNumberKind.Exact || Value == actual;

    public override string ToString() => Kind switch
    {
        ScriptNumberKind.Exact => Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ScriptNumberKind.Any => "...",
        _ => "",
    };
}

public enum PacketOptionsKind
{
    /// <summary>No option list written: the segment carries no options.</summary>
    None,

    /// <summary><c>&lt;mss 1460,nop,...&gt;</c>: exactly these options in this order.</summary>
    List,

    /// <summary><c>&lt;...&gt;</c>: any options (outbound only).</summary>
    Any,
}

/// <summary>
/// A segment line: <c>&lt; S 0:0(0) win 32792 &lt;mss 1000&gt;</c> or <c>&gt; P. 1:1001(1000) ack 1</c>. Sequence
/// numbers are relative to the sender's initial sequence number, acknowledgment numbers to the receiver's.
/// <see cref="StartSeq"/>, <see cref="EndSeq"/> and <see cref="PayloadLength"/> are always written (Exact), or
/// <c>...</c> on outbound lines. Inbound lines always have an exact window, and an exact ack when the ACK flag is
/// set; the parser checks this.
/// </summary>
public sealed record PacketEvent(
    int Line,
    ScriptTime Time,
    PacketDirection Direction,
    TcpFlags Flags,
    ScriptNumber StartSeq,
    ScriptNumber EndSeq,
    ScriptNumber PayloadLength,
    ScriptNumber Ack,
    ScriptNumber Window,
    PacketOptionsKind OptionsKind,
    ValueList<ScriptTcpOption> Options,
    ScriptNumber UrgentPointer = default) : ScriptEvent(Line, Time)
{
    /// <summary>The line's IP clause (<c>[ect0]</c>, <c>[ce]</c>, ...), if any.</summary>
    public ScriptIpInfo Ip { get; init; }

    public override string FormatAction()
    {
        var s = new StringBuilder();
        s.Append(Direction == PacketDirection.In ? '<' : '>').Append(' ');
        if (Ip.Check != ScriptTosCheck.None) s.Append(Ip).Append(' ');
        s.Append(FormatFlags(Flags));
        s.Append(' ').Append(StartSeq).Append(':').Append(EndSeq).Append('(').Append(PayloadLength).Append(')');
        if (Ack.Kind != ScriptNumberKind.Absent) s.Append(" ack ").Append(Ack);
        if (Window.Kind != ScriptNumberKind.Absent) s.Append(" win ").Append(Window);
        if (UrgentPointer.Kind != ScriptNumberKind.Absent) s.Append(" urg ").Append(UrgentPointer);
        if (OptionsKind == PacketOptionsKind.Any) s.Append(" <...>");
        else if (OptionsKind == PacketOptionsKind.List) s.Append(' ').Append(ScriptTcpOption.FormatList(Options));
        return s.ToString();
    }

    /// <summary>packetdrill's flag letters in its order (F S R P . U E W); <c>.</c> alone is a bare ACK.</summary>
    public static string FormatFlags(TcpFlags flags)
    {
        var s = new StringBuilder();
        TcpRepr.AppendFlags(s, flags);
        return s.Length == 0 ? "-" : s.ToString();
    }
}

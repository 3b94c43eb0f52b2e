using System.Globalization;

namespace Stack.Scripting;

/// <summary>
/// A system call on the stack's socket API with the result the script expects:
/// <c>accept(3, ..., ...) = 4</c>, <c>read(4, ..., 1000) = -1 ECONNRESET (Connection reset by peer)</c>.
/// A blocking call has <see cref="ScriptTime.BlockingEnd"/> set.
/// </summary>
public sealed record SyscallEvent(int Line, ScriptTime Time, string Name, ValueList<SyscallArg> Arguments, SyscallResult Result)
    : ScriptEvent(Line, Time)
{
    public override string FormatAction() => $"{Name}({string.Join(", ", Arguments)}) = {Result}";
}

/// <summary>
/// What a call must return: a value, or -1 with a Linux errno name (<see cref="Errno"/>) and, optionally, the
/// text scripts write after it in parentheses (informative only; never compared). A bare -1 takes any errno, as
/// packetdrill checks the errno only where the script names one (<see cref="AnyErrno"/>).
/// </summary>
public sealed record SyscallResult(long Value, string? Errno = null, string? ErrnoText = null)
{
    /// <summary>The errno of a bare <c>= -1</c>: any error matches.</summary>
    public const string AnyErrno = "";

    public bool IsError => Errno is not null;

    public static SyscallResult Error(string errno) => new(-1, errno, Scripting.Errno.Describe(errno));

    public override string ToString()
    {
        string value = Value.ToString(CultureInfo.InvariantCulture);
        if (Errno is null or AnyErrno) return value;
        return ErrnoText is null ? $"{value} {Errno}" : $"{value} {Errno} ({ErrnoText})";
    }
}

/// <summary>A system call argument: a small expression tree.</summary>
public abstract record SyscallArg
{
    private SyscallArg() { }

    /// <summary><c>1000</c>, <c>-1</c>, <c>0x800</c>.</summary>
    public sealed record Number(long Value) : SyscallArg
    {
        public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A named constant such as <c>SOCK_STREAM</c> or <c>TCP_ESTABLISHED</c> (<see cref="ScriptConstants"/>).</summary>
    public sealed record Constant(string Name) : SyscallArg
    {
        public override string ToString() => Name;
    }

    /// <summary><c>O_RDWR|O_NONBLOCK</c>.</summary>
    public sealed record BitOr(ValueList<SyscallArg> Operands) : SyscallArg
    {
        public override string ToString() => string.Join('|', Operands);
    }

    /// <summary><c>...</c>: an argument the script does not spell (an address, a buffer) or a value not checked.</summary>
    public sealed record Ellipsis : SyscallArg
    {
        public override string ToString() => "...";
    }

    /// <summary><c>[1]</c>, <c>[...]</c>, <c>[{fd=4, events=POLLIN}]</c>.</summary>
    public sealed record ArrayLiteral(ValueList<SyscallArg> Items) : SyscallArg
    {
        public override string ToString() => "[" + string.Join(", ", Items) + "]";
    }

    /// <summary>
    /// <c>{onoff=1, linger=0}</c>; <see cref="IsOpen"/> when it ends with <c>...</c>
    /// (<c>{tcpi_state=TCP_ESTABLISHED, ...}</c>): the fields not named are not checked.
    /// </summary>
    public sealed record StructLiteral(ValueList<StructField> Fields, bool IsOpen) : SyscallArg
    {
        public SyscallArg? this[string name] => Fields.FirstOrDefault(f => f.Name == name)?.Value;

        public override string ToString()
        {
            var parts = Fields.Select(f => f.ToString()).ToList();
            if (IsOpen) parts.Add("...");
            return "{" + string.Join(", ", parts) + "}";
        }
    }

    /// <summary><c>{..., 100}</c>: an iovec of packetdrill's msghdr, a buffer the script does not spell and its length.</summary>
    public sealed record Iovec(SyscallArg Length) : SyscallArg
    {
        public override string ToString() => $"{{..., {Length}}}";
    }

    /// <summary>
    /// <c>"\xf7\x63..."</c>: packetdrill's quoted string, its C escapes undone (a TCP_FASTOPEN_KEY's bytes, a file
    /// name). <see cref="Text"/> is the script's spelling, between the quotes.
    /// </summary>
    public sealed record Bytes(ValueList<byte> Value, string Text) : SyscallArg
    {
        public override string ToString() => "\"" + Text + "\"";
    }

    /// <summary>
    /// The value of a number, a constant or an OR of them (a constant's value from <see cref="ScriptConstants"/>);
    /// false for anything else.
    /// </summary>
    public bool TryEvaluate(out long value)
    {
        switch (this)
        {
            case Number n:
                value = n.Value;
                return true;
            case Constant c:
                return ScriptConstants.TryGetValue(c.Name, out value);
            case BitOr or:
                value = 0;
                foreach (var operand in or.Operands)
                {
                    if (!operand.TryEvaluate(out long v)) return false;
                    value |= v;
                }
                return true;
            default:
                value = 0;
                return false;
        }
    }
}

/// <summary>
/// <c>name=value</c> inside a struct literal; packetdrill's msghdr also writes <c>name(subscript)=value</c>
/// (<c>msg_iov(2)=[...]</c>: the subscript is the element count).
/// </summary>
public sealed record StructField(string Name, SyscallArg Value, SyscallArg? Subscript = null)
{
    public override string ToString() => Subscript is null ? $"{Name}={Value}" : $"{Name}({Subscript})={Value}";
}

using System.Globalization;

namespace Stack.Scripting.Shell;

/// <summary>
/// The shell's <c>$((…))</c> integer arithmetic as the packetdrill suite uses it (<c>15*1024*1024</c>):
/// + - * / % and parentheses, decimal and 0x numbers, 64-bit. Malformed input throws <see cref="FormatException"/>.
/// </summary>
public static class Arithmetic
{
    public static long Evaluate(string expression)
    {
        int pos = 0;
        long value = Sum(expression, ref pos);
        Skip(expression, ref pos);
        if (pos != expression.Length) throw new FormatException($"unexpected '{expression[pos]}' in $(({expression}))");
        return value;
    }

    private static long Sum(string s, ref int pos)
    {
        long value = Product(s, ref pos);
        while (true)
        {
            Skip(s, ref pos);
            if (pos >= s.Length || s[pos] is not ('+' or '-')) return value;
            char op = s[pos++];
            long right = Product(s, ref pos);
            value = op == '+' ? value + right : value - right;
        }
    }

    private static long Product(string s, ref int pos)
    {
        long value = Unary(s, ref pos);
        while (true)
        {
            Skip(s, ref pos);
            if (pos >= s.Length || s[pos] is not ('*' or '/' or '%')) return value;
            char op = s[pos++];
            long right = Unary(s, ref pos);
            if (op != '*' && right == 0) throw new FormatException("division by zero in $((...))");
            value = op switch { '*' => value * right, '/' => value / right, _ => value % right };
        }
    }

    private static long Unary(string s, ref int pos)
    {
        Skip(s, ref pos);
        if (pos < s.Length && s[pos] == '-')
        {
            pos++;
            return -Unary(s, ref pos);
        }
        if (pos < s.Length && s[pos] == '(')
        {
            pos++;
            long inner = Sum(s, ref pos);
            Skip(s, ref pos);
            if (pos >= s.Length || s[pos] != ')') throw new FormatException("missing ')' in $((...))");
            pos++;
            return inner;
        }
        int start = pos;
        bool hex = pos + 1 < s.Length && s[pos] == '0' && s[pos + 1] is 'x' or 'X';
        if (hex) pos += 2;
        while (pos < s.Length && (hex ? char.IsAsciiHexDigit(s[pos]) : char.IsAsciiDigit(s[pos]))) pos++;
        if (pos == start + (hex ? 2 : 0)) throw new FormatException($"expected a number in $(({s}))");
        return hex
            ? long.Parse(s.AsSpan(start + 2, pos - start - 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
            : long.Parse(s.AsSpan(start, pos - start), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private static void Skip(string s, ref int pos)
    {
        while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
    }
}

using System.Globalization;
using Stack.IP;
using Stack.Tcp.Wire;

namespace Stack.Scripting;

/// <summary>
/// Parses the packetdrill subset this stack runs into a <see cref="Script"/>. Bad input of any kind ends in a
/// <see cref="ScriptParseException"/> naming file, line and column; nothing else is thrown for it.
/// </summary>
/// <remarks>
/// A hand-written recursive descent over characters, because packetdrill's notation is context dependent
/// (<c>.</c> is a flag after <c>&lt;</c>, a decimal point in a time, part of <c>...</c> elsewhere). Events start
/// with a time and end at the end of their line, except inside brackets, braces, parentheses and option lists.
/// </remarks>
public static class ScriptParser
{
    /// <summary>The system calls the runner knows, with how many arguments each takes (min, max).</summary>
    public static IReadOnlyDictionary<string, (int Min, int Max)> Syscalls { get; } = new Dictionary<string, (int, int)>(StringComparer.Ordinal)
    {
        ["socket"] = (3, 3),
        ["bind"] = (3, 3),
        ["listen"] = (2, 2),
        ["accept"] = (3, 3),
        ["connect"] = (3, 3),
        ["write"] = (3, 3),
        ["read"] = (3, 3),
        ["send"] = (4, 4),
        ["recv"] = (4, 4),
        ["sendto"] = (6, 6),
        ["recvfrom"] = (6, 6),
        ["close"] = (1, 1),
        ["shutdown"] = (2, 2),
        ["setsockopt"] = (5, 5),
        ["getsockopt"] = (5, 5),
        ["fcntl"] = (2, 3),
        ["poll"] = (3, 3),
        ["sendmsg"] = (3, 3),
        ["recvmsg"] = (3, 3),
        ["ioctl"] = (2, 3),
        ["epoll_create"] = (1, 1),
        ["epoll_ctl"] = (4, 4),
        ["epoll_wait"] = (4, 4),
        ["open"] = (2, 3),
        ["sendfile"] = (4, 4),
        ["pipe"] = (1, 1),
        ["splice"] = (6, 6),
    };

    public static Script Parse(string text, string file = "<script>")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(file);
        return new Parser(text, file).ParseScript();
    }

    public static Script ParseFile(string path) => Parse(File.ReadAllText(path), path);

    private sealed class Parser(string text, string file)
    {
        private const int MaxNesting = 16;
        private const int MaxOptionBytes = TcpOptions.MaxLength;
        private const long MaxSeconds = 1_000_000;

        private readonly string _text = text;
        private readonly string _file = file;
        private readonly List<int> _lineStarts = LineStarts(text);
        private readonly List<ScriptWarning> _warnings = [];
        private int _pos;

        private bool AtEnd => _pos >= _text.Length;
        private bool AtEndOfLine => AtEnd || Peek() is '\n' or '\r';
        private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';
        private bool Has(int ahead) => _pos + ahead < _text.Length;
        private bool LooksAt(string s) => string.CompareOrdinal(_text, _pos, s, 0, s.Length) == 0 && _pos + s.Length <= _text.Length;

        public Script ParseScript()
        {
            var settings = ScriptSettings.Default;
            var events = new List<ScriptEvent>();
            while (true)
            {
                SkipTrivia();
                if (AtEnd) break;
                int start = _pos;
                if (LooksAt("--"))
                {
                    if (events.Count > 0)
                        throw Error(start, "script options (--name=value) go before the first event");
                    settings = ParseSetting(settings);
                }
                else if (Peek() == '`')
                {
                    // packetdrill's grammar: an untimed command before the first event (the init command) or
                    // as the very last thing in the file (the cleanup command); anywhere else it needs a time.
                    events.Add(ParseShellCommand(LineOf(start), ScriptTime.Relative(0)));
                    if (events.Count > 1)
                    {
                        ExpectEndOfLine();
                        SkipTrivia();
                        if (!AtEnd)
                            throw Error(start, "an untimed shell command after the first event must end the script (packetdrill's cleanup command); elsewhere give it a time, e.g. +0 `...`");
                        break;
                    }
                }
                else
                {
                    events.Add(ParseEvent());
                }
                ExpectEndOfLine();
            }
            return new Script(_file, settings, new ValueList<ScriptEvent>(events), new ValueList<ScriptWarning>(_warnings));
        }

        // ---- settings ----

        private ScriptSettings ParseSetting(ScriptSettings settings)
        {
            int start = _pos;
            _pos += 2;
            string name = ReadWhile(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-');
            var option = ScriptOptions.Find(name)
                ?? throw Error(start, $"unknown script option --{Clip(name)}; packetdrill's are {ScriptOptions.Names}");
            if (Peek() != '=')
            {
                if (option.TakesValue)
                    throw Error(_pos, $"expected '=' after --{name}, found {Found()}");
                return ApplyFlag(settings, option);
            }
            if (!option.TakesValue)
                throw Error(_pos, $"--{name} takes no value");
            _pos++;
            int valueStart = _pos;
            string value = Peek() == '"' ? ReadQuoted() : ReadWhile(c => !char.IsWhiteSpace(c));
            switch (name)
            {
                case "tolerance_usecs":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long usecs) || usecs > MaxSeconds * 1_000_000)
                        throw Error(valueStart, $"--tolerance_usecs needs a whole number of microseconds, found '{Clip(value)}'");
                    return settings with { ToleranceMicroseconds = usecs };
                case "ip_version":
                    return value switch
                    {
                        "ipv4" => settings with { IpVersion = ScriptIpVersion.Ipv4 },
                        "ipv6" => settings with { IpVersion = ScriptIpVersion.Ipv6 },
                        "ipv4-mapped-ipv6" => throw Error(valueStart, "--ip_version=ipv4-mapped-ipv6 is not supported: this stack runs scripts over ipv4 or ipv6"),
                        _ => throw Error(valueStart, $"--ip_version must be ipv4 or ipv6, found '{Clip(value)}'"),
                    };
                case "local_ip" or "remote_ip":
                    if (!IpAddress.TryParse(value, out var address))
                        throw Error(valueStart, $"--{name} needs an IPv4 or IPv6 address, found '{Clip(value)}'");
                    return name == "local_ip" ? settings with { LocalAddress = address } : settings with { RemoteAddress = address };
                case "mss" or "mtu" or "tcp_ts_tick_usecs":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number)
                        || (name == "tcp_ts_tick_usecs" ? number > 1_000_000 : number is < 68 or > 65535))
                        throw Error(valueStart, $"--{name} needs a whole number in range, found '{Clip(value)}'");
                    return name switch
                    {
                        "mss" => settings with { Mss = number },
                        "mtu" => settings with { Mtu = number },
                        _ => settings with { TsTickMicroseconds = number },
                    };
                case "tolerance_percent":
                    if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double percent) || percent > 100)
                        throw Error(valueStart, $"--tolerance_percent needs a number from 0 to 100, found '{Clip(value)}'");
                    return settings with { TolerancePercent = percent };
                default:
                    Warn(start, $"--{name} has no meaning for this runner (packetdrill: {option.Meaning}); ignored");
                    return settings;
            }
        }

        private ScriptSettings ApplyFlag(ScriptSettings settings, ScriptOption option)
        {
            switch (option.Name)
            {
                case "strict_segments":
                    return settings with { StrictSegments = true };
                case "tcp_ts_ecr_scaled":
                    return settings with { TsEcrScaled = true };
                default:
                    Warn(_pos, $"--{option.Name} has no meaning for this runner (packetdrill: {option.Meaning}); ignored");
                    return settings;
            }
        }

        private void Warn(int position, string message) => _warnings.Add(new ScriptWarning(_file, LineOf(position), message));

        /// <summary>A "..." value of a script option, without the quotes.</summary>
        private string ReadQuoted()
        {
            int start = _pos;
            int close = _text.IndexOf('"', _pos + 1);
            if (close < 0 || _text.IndexOf('\n', _pos, close - _pos) >= 0) throw Error(start, "unterminated string: no closing '\"' on the line");
            _pos = close + 1;
            return _text[(start + 1)..close];
        }

        // ---- events ----

        private ScriptEvent ParseEvent()
        {
            int start = _pos;
            int line = LineOf(start);
            var time = ParseTime();
            SkipSpaces();
            if (AtEnd || Peek() is '\n' or '\r')
                throw Error(_pos, "expected a packet, a system call or a shell command after the time, found " + Found());
            char c = Peek();
            if (c is '<' or '>') return ParsePacket(line, time);
            if (c == '`') return ParseShellCommand(line, time);
            if (char.IsAsciiLetter(c) || c == '_') return ParseSyscall(line, time);
            if (LooksAt("%{")) return ParseCode(line, time);
            throw Error(_pos, $"expected '<', '>', a system call or a `shell command` after the time, found {Found()}");
        }

        private ScriptTime ParseTime()
        {
            int start = _pos;
            ScriptTime time;
            if (Peek() == '*')
            {
                _pos++;
                time = ScriptTime.Any;
            }
            else if (Peek() == '-')
            {
                throw Error(start, "negative times are not supported");
            }
            else if (Peek() == '+' || char.IsAsciiDigit(Peek()) || (Peek() == '.' && char.IsAsciiDigit(Peek(1))))
            {
                var first = ParseTimePoint();
                if (Peek() == '~')
                {
                    _pos++;
                    int endStart = _pos;
                    var end = ParseTimePoint();
                    if (end.IsRelative != first.IsRelative)
                        throw Error(endStart, "both ends of a time range are relative (+0~+0.1) or both absolute (0.1~0.2)");
                    if (end.Microseconds < first.Microseconds)
                        throw Error(endStart, "a time range ends before it starts");
                    time = ScriptTime.Range(first, end);
                }
                else
                {
                    time = first.IsRelative ? ScriptTime.Relative(first.Microseconds) : ScriptTime.Absolute(first.Microseconds);
                }
            }
            else
            {
                throw Error(start, $"expected a time (0.100, +0.1, * or +0~+0.1) at the start of the line, found {Found()}");
            }

            int save = _pos;
            SkipSpaces();
            if (LooksAt("..."))
            {
                int dots = _pos;
                _pos += 3;
                SkipSpaces();
                if (time.Kind is ScriptTimeKind.Any or ScriptTimeKind.Range)
                    throw Error(dots, "a blocking call (start...end) needs a plain start time, not '*' or a range");
                var end = ParseTimePoint();
                if (end.Microseconds < time.Start.Microseconds)
                    throw Error(dots, "a blocking call cannot return before it starts");
                return time.WithBlockingEnd(end.Microseconds);
            }
            _pos = save;
            return time;
        }

        private TimePoint ParseTimePoint()
        {
            int start = _pos;
            bool relative = false;
            if (Peek() == '+')
            {
                relative = true;
                _pos++;
            }
            if (Peek() == '-') throw Error(_pos, "negative times are not supported");
            string whole = ReadWhile(char.IsAsciiDigit);
            string fraction = "";
            if (Peek() == '.' && !(Peek(1) == '.' && Peek(2) == '.'))
            {
                _pos++;
                fraction = ReadWhile(char.IsAsciiDigit);
            }
            if (whole.Length == 0 && fraction.Length == 0)
                throw Error(start, $"expected a time in seconds such as 0.100 or +0.1, found {FoundAt(start)}");
            if (fraction.Length > 6)
                throw Error(start, "times have microsecond resolution: at most 6 decimals");
            if (whole.Length > 7 || (whole.Length > 0 && long.Parse(whole, CultureInfo.InvariantCulture) > MaxSeconds))
                throw Error(start, $"a time of more than {MaxSeconds} seconds is not supported");
            long seconds = whole.Length == 0 ? 0 : long.Parse(whole, CultureInfo.InvariantCulture);
            long micros = fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(6, '0'), CultureInfo.InvariantCulture);
            return new TimePoint(seconds * 1_000_000 + micros, relative);
        }

        private ShellCommandEvent ParseShellCommand(int line, ScriptTime time)
        {
            int start = _pos;
            int close = _text.IndexOf('`', start + 1);
            if (close < 0) throw Error(start, "unterminated shell command: no closing backquote");
            string command = _text[(start + 1)..close];
            _pos = close + 1;
            return new ShellCommandEvent(line, time, command);
        }

        /// <summary>A <c>%{ python }%</c> block; spaces and tabs at either end are stripped, as packetdrill does.</summary>
        private CodeEvent ParseCode(int line, ScriptTime time)
        {
            int start = _pos;
            int close = _text.IndexOf("}%", start + 2, StringComparison.Ordinal);
            if (close < 0) throw Error(start, "unterminated python block: '%{' without '}%'");
            string code = _text[(start + 2)..close].Trim(' ', '\t');
            _pos = close + 2;
            return new CodeEvent(line, time, code);
        }

        // ---- packets ----

        private ScriptEvent ParsePacket(int line, ScriptTime time)
        {
            var direction = Peek() == '<' ? PacketDirection.In : PacketDirection.Out;
            bool outbound = direction == PacketDirection.Out;
            _pos++;
            SkipSpaces();
            var ip = ParseIpInfo(outbound);
            SkipSpaces();
            if (IsWord("icmp"))
            {
                if (outbound) throw Error(_pos, "outbound (>) ICMP lines are not supported: the stack's ICMP is not checked");
                return ParseIcmp(line, time, ip);
            }
            var flags = ParseFlags();
            SkipSpaces();

            int rangeStart = _pos;
            if (!(char.IsAsciiDigit(Peek()) || LooksAt("...")))
                throw Error(_pos, $"expected a sequence range like 1:1001(1000) after the flags, found {Found()}");
            var startSeq = ParseNumber(outbound, uint.MaxValue, "sequence number");
            if (Peek() != ':') throw Error(_pos, $"expected ':' in the sequence range (start:end(length)), found {Found()}");
            _pos++;
            var endSeq = ParseNumber(outbound, uint.MaxValue, "sequence number");
            SkipSpaces();
            if (Peek() != '(') throw Error(_pos, $"expected '(' and a payload length after the sequence range, found {Found()}");
            _pos++;
            var length = ParseNumber(outbound, int.MaxValue, "payload length");
            if (Peek() != ')') throw Error(_pos, $"expected ')' after the payload length, found {Found()}");
            _pos++;
            if (startSeq.IsExact && endSeq.IsExact && length.IsExact && unchecked(endSeq.Value - startSeq.Value) != length.Value)
                throw Error(rangeStart, $"the sequence range {startSeq}:{endSeq} spans {unchecked(endSeq.Value - startSeq.Value)} bytes but the length says {length}");

            ScriptNumber ack = default, window = default, urgent = default;
            var optionsKind = PacketOptionsKind.None;
            var options = ValueList<ScriptTcpOption>.Empty;
            while (true)
            {
                SkipSpaces();
                int clause = _pos;
                if (IsWord("ack"))
                {
                    if (ack.Kind != ScriptNumberKind.Absent) throw Error(clause, "'ack' appears twice");
                    _pos += 3;
                    SkipSpaces();
                    ack = ParseNumber(outbound, uint.MaxValue, "ack number");
                }
                else if (IsWord("win"))
                {
                    if (window.Kind != ScriptNumberKind.Absent) throw Error(clause, "'win' appears twice");
                    _pos += 3;
                    SkipSpaces();
                    window = ParseNumber(outbound, ushort.MaxValue, "window");
                }
                else if (IsWord("urg"))
                {
                    if (urgent.Kind != ScriptNumberKind.Absent) throw Error(clause, "'urg' appears twice");
                    _pos += 3;
                    SkipSpaces();
                    urgent = ParseNumber(outbound, ushort.MaxValue, "urgent pointer");
                }
                else if (Peek() == '<')
                {
                    (optionsKind, options) = ParseOptionList(outbound);
                    break;
                }
                else
                {
                    break;
                }
            }

            if (!outbound)
            {
                if (window.Kind == ScriptNumberKind.Absent)
                    throw Error(_pos, "an inbound (<) packet needs a window: add 'win N' before the options");
                // packetdrill: an ACK flag without 'ack N' carries ack 0, relative: it acknowledges nothing new.
                if ((flags & TcpFlags.Ack) != 0 && ack.Kind == ScriptNumberKind.Absent)
                    ack = ScriptNumber.Of(0);
            }
            return new PacketEvent(line, time, direction, flags, startSeq, endSeq, length, ack, window, optionsKind, options, urgent)
            {
                Ip = ip,
            };
        }

        /// <summary>
        /// packetdrill's opt_ip_info: <c>[ect0]</c>, <c>[ect1]</c>, <c>[ce]</c>, <c>[noecn]</c>, <c>[ect01]</c>
        /// (outbound only) or <c>[tos 0x..]</c>, in square brackets or parentheses; nothing when absent.
        /// </summary>
        private ScriptIpInfo ParseIpInfo(bool outbound)
        {
            if (Peek() is not ('[' or '(')) return default;
            int open = _pos;
            char close = Peek() == '[' ? ']' : ')';
            _pos++;
            SkipSpaces();
            int word = _pos;
            string name = ReadIdentifier();
            ScriptIpInfo info = name switch
            {
                "noecn" => new(ScriptTosCheck.Ecn, 0),
                "ect1" => new(ScriptTosCheck.Ecn, 1),
                "ect0" => new(ScriptTosCheck.Ecn, 2),
                "ce" => new(ScriptTosCheck.Ecn, 3),
                "ect01" when outbound => new(ScriptTosCheck.EcnEct01, 0),
                "ect01" => throw Error(word, "[ect01] can only be used with outbound packets"),
                "tos" => new(ScriptTosCheck.Tos, ParseHexByte()),
                _ => throw Error(word, $"expected an IP clause (noecn, ect0, ect1, ce, ect01 or tos 0xNN) after '{_text[open]}', found {FoundAt(word)}"),
            };
            SkipSpaces();
            if (Peek() != close) throw Error(_pos, $"expected '{close}' to end the IP clause, found {Found()}");
            _pos++;
            return info;
        }

        private byte ParseHexByte()
        {
            SkipSpaces();
            int start = _pos;
            if (!LooksAt("0x")) throw Error(start, $"expected a hex byte such as 0x2 after 'tos', found {Found()}");
            _pos += 2;
            string digits = ReadWhile(char.IsAsciiHexDigit);
            if (digits.Length == 0 || !byte.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte value))
                throw Error(start, "tos is out of range for 8 bits");
            return value;
        }

        /// <summary>
        /// packetdrill's icmp_packet_spec (inbound): <c>icmp TYPE [CODE] [mtu N] [[start:end(len)]]</c>. The quoted
        /// segment defaults to 0:0(0), as packetdrill's does.
        /// </summary>
        private IcmpEvent ParseIcmp(int line, ScriptTime time, ScriptIpInfo ip)
        {
            _pos += 4;
            SkipSpaces();
            int typeAt = _pos;
            string type = ReadIdentifier();
            if (type.Length == 0) throw Error(typeAt, $"expected an ICMP type (unreachable, packet_too_big, time_exceeded, ...) after 'icmp', found {Found()}");
            SkipSpaces();
            string? code = null;
            if (char.IsAsciiLetter(Peek()) && !IsWord("mtu") && !IsWord("id"))
            {
                code = ReadIdentifier();
                SkipSpaces();
            }
            long? mtu = null;
            if (IsWord("mtu"))
            {
                _pos += 3;
                SkipSpaces();
                mtu = ParseNumber(false, uint.MaxValue, "ICMP MTU").Value;
                SkipSpaces();
            }
            if (IsWord("id")) throw Error(_pos, "ICMP echo ids are not supported: only errors about the stack's segments are");
            uint seq = 0, length = 0;
            bool quotes = false;
            if (Peek() == '[')
            {
                _pos++;
                SkipSpaces();
                if (IsWord("udp") || IsWord("raw")) throw Error(_pos, "only ICMP errors quoting a TCP segment are supported");
                int rangeStart = _pos;
                seq = ParseNumber(false, uint.MaxValue, "sequence number").Value;
                if (Peek() != ':') throw Error(_pos, $"expected ':' in the quoted sequence range (start:end(length)), found {Found()}");
                _pos++;
                uint end = ParseNumber(false, uint.MaxValue, "sequence number").Value;
                if (Peek() != '(') throw Error(_pos, $"expected '(' and a payload length after the sequence range, found {Found()}");
                _pos++;
                length = ParseNumber(false, ushort.MaxValue, "payload length").Value;
                if (Peek() != ')') throw Error(_pos, $"expected ')' after the payload length, found {Found()}");
                _pos++;
                if (unchecked(end - seq) != length)
                    throw Error(rangeStart, $"the sequence range {seq}:{end} spans {unchecked(end - seq)} bytes but the length says {length}");
                SkipSpaces();
                if (Peek() != ']') throw Error(_pos, $"expected ']' after the quoted segment, found {Found()}");
                _pos++;
                quotes = true;
            }
            return new IcmpEvent(line, time, ip, type, code, mtu, seq, length, quotes);
        }

        private TcpFlags ParseFlags()
        {
            int start = _pos;
            string letters = ReadWhile(c => !char.IsWhiteSpace(c) && !char.IsAsciiDigit(c) && c != '<');
            if (letters.Length == 0)
                throw Error(start, $"expected TCP flags (some of F S R P . U E W, or - for none) after the direction, found {Found()}");
            if (letters == "-") return TcpFlags.None;
            TcpFlags flags = TcpFlags.None;
            for (int i = 0; i < letters.Length; i++)
            {
                TcpFlags flag = letters[i] switch
                {
                    'F' => TcpFlags.Fin,
                    'S' => TcpFlags.Syn,
                    'R' => TcpFlags.Rst,
                    'P' => TcpFlags.Psh,
                    '.' => TcpFlags.Ack,
                    'U' => TcpFlags.Urg,
                    'E' => TcpFlags.Ece,
                    'W' => TcpFlags.Cwr,
                    _ => throw Error(start + i, $"unknown TCP flag '{letters[i]}' in '{Clip(letters)}'; flags are F S R P . U E W"),
                };
                if ((flags & flag) != 0) throw Error(start + i, $"TCP flag '{letters[i]}' appears twice in '{Clip(letters)}'");
                flags |= flag;
            }
            return flags;
        }

        private (PacketOptionsKind, ValueList<ScriptTcpOption>) ParseOptionList(bool outbound)
        {
            int open = _pos;
            _pos++;
            SkipSpaces();
            if (LooksAt("..."))
            {
                int dots = _pos;
                _pos += 3;
                SkipSpaces();
                if (Peek() != '>') throw Error(_pos, $"expected '>' after '<...', found {Found()}");
                _pos++;
                if (!outbound) throw Error(dots, "'<...>' (any options) is only allowed in outbound (>) packets: an injected packet needs its options spelled out");
                return (PacketOptionsKind.Any, ValueList<ScriptTcpOption>.Empty);
            }
            var list = new List<ScriptTcpOption>();
            if (Peek() == '>')
            {
                _pos++;
                return (PacketOptionsKind.List, ValueList<ScriptTcpOption>.Empty);
            }
            while (true)
            {
                SkipSpaces();
                if (AtEndOfLine) throw Error(open, "unclosed option list: '<' without '>'");
                list.Add(ParseOption(outbound));
                SkipSpaces();
                if (Peek() == ',')
                {
                    _pos++;
                    continue;
                }
                if (Peek() == '>')
                {
                    _pos++;
                    break;
                }
                throw Error(AtEndOfLine ? open : _pos, AtEndOfLine ? "unclosed option list: '<' without '>'" : $"expected ',' or '>' in the option list, found {Found()}");
            }
            int bytes = ScriptTcpOption.EncodedLengthOf(list);
            if (bytes > MaxOptionBytes)
                throw Error(open, $"the options take {bytes} bytes, more than the {MaxOptionBytes} a TCP header holds");
            if (bytes % 4 != 0)
                throw Error(open, $"the options take {bytes} bytes; a TCP header needs a multiple of 4: add nop or eol");
            return (PacketOptionsKind.List, new ValueList<ScriptTcpOption>(list));
        }

        private ScriptTcpOption ParseOption(bool outbound)
        {
            int start = _pos;
            string name = ReadWhile(c => char.IsAsciiLetterOrDigit(c) || c == '_');
            switch (name)
            {
                case "nop": return new ScriptTcpOption.Nop();
                case "eol": return new ScriptTcpOption.Eol();
                case "sackOK": return new ScriptTcpOption.SackPermitted();
                case "mss":
                    SkipSpaces();
                    return new ScriptTcpOption.Mss(ParseNumber(outbound, ushort.MaxValue, "MSS"));
                case "wscale":
                    SkipSpaces();
                    return new ScriptTcpOption.WindowScale(ParseNumber(outbound, byte.MaxValue, "window scale"));
                case "sack":
                {
                    var blocks = new List<SackBlock>();
                    while (true)
                    {
                        SkipSpaces();
                        if (!char.IsAsciiDigit(Peek())) break;
                        uint left = ParseNumber(false, uint.MaxValue, "SACK edge").Value;
                        if (Peek() != ':') throw Error(_pos, $"expected ':' in the SACK block (left:right), found {Found()}");
                        _pos++;
                        uint right = ParseNumber(false, uint.MaxValue, "SACK edge").Value;
                        blocks.Add(new SackBlock(left, right));
                    }
                    if (blocks.Count == 0) throw Error(_pos, $"expected SACK blocks such as 1001:2001 after 'sack', found {Found()}");
                    return new ScriptTcpOption.Sack(new ValueList<SackBlock>(blocks));
                }
                case "TS":
                {
                    SkipSpaces();
                    if (!IsWord("val")) throw Error(_pos, $"expected 'val' after 'TS' (TS val N ecr N), found {Found()}");
                    _pos += 3;
                    SkipSpaces();
                    var value = ParseNumber(outbound, uint.MaxValue, "TS val");
                    SkipSpaces();
                    if (!IsWord("ecr")) throw Error(_pos, $"expected 'ecr' after the TS value (TS val N ecr N), found {Found()}");
                    _pos += 3;
                    SkipSpaces();
                    var echo = ParseNumber(outbound, uint.MaxValue, "TS ecr");
                    return new ScriptTcpOption.Timestamp(value, echo);
                }
                case "FO":
                case "FOEXP":
                    return ParseFastOpen(name == "FOEXP");
                case "md5":
                {
                    SkipSpaces();
                    int at = _pos;
                    string hex = ReadWhile(char.IsAsciiHexDigit);
                    if (hex.Length == 0 || hex.Length % 2 != 0 || hex.Length > 2 * ScriptTcpOption.Md5.DigestLength)
                        throw Error(at, $"expected an MD5 digest (up to 16 bytes in hex, an even digit count) after 'md5', found {FoundAt(at)}");
                    return new ScriptTcpOption.Md5(new ValueList<byte>(Convert.FromHexString(hex)));
                }
                case "":
                    throw Error(start, $"expected a TCP option (mss, wscale, sackOK, sack, TS, FO, FOEXP, md5, nop, eol), found {Found()}");
                default:
                    throw Error(start, $"unknown TCP option '{Clip(name)}'; known options are mss, wscale, sackOK, sack, TS, FO, FOEXP, md5, nop and eol");
            }
        }

        /// <summary><c>FO</c> / <c>FOEXP</c> then a cookie in hex (4-16 bytes), <c>TFO_COOKIE</c>, or nothing (a request).</summary>
        private ScriptTcpOption.FastOpen ParseFastOpen(bool experimental)
        {
            SkipSpaces();
            int start = _pos;
            string token = ReadWhile(c => char.IsAsciiLetterOrDigit(c) || c == '_');
            if (token.Length == 0) return new ScriptTcpOption.FastOpen(experimental, ValueList<byte>.Empty);
            if (token == ScriptTcpOption.FastOpen.LinuxDefaultName)
                return new ScriptTcpOption.FastOpen(experimental, ValueList<byte>.Empty, IsLinuxDefault: true);
            // As packetdrill: any whole number of bytes that fits the option space, so scripts can send cookies
            // RFC 7413 calls invalid (too short, too long, odd) and check that the stack ignores them.
            int maxBytes = MaxOptionBytes - (experimental ? 4 : 2);
            if (token.Length % 2 != 0 || token.Length / 2 > maxBytes || !token.All(char.IsAsciiHexDigit))
                throw Error(start, $"expected a Fast Open cookie (hex, an even digit count, at most {maxBytes} bytes) or {ScriptTcpOption.FastOpen.LinuxDefaultName}, found '{Clip(token)}'");
            return new ScriptTcpOption.FastOpen(experimental, new ValueList<byte>(Convert.FromHexString(token)));
        }

        /// <summary>A decimal number up to <paramref name="max"/>, or <c>...</c> when <paramref name="allowAny"/>.</summary>
        private ScriptNumber ParseNumber(bool allowAny, long max, string what)
        {
            int start = _pos;
            if (LooksAt("..."))
            {
                if (!allowAny)
                    throw Error(start, $"'...' is only allowed in outbound (>) packets; the {what} needs a number");
                _pos += 3;
                return ScriptNumber.Any;
            }
            string digits = ReadWhile(char.IsAsciiDigit);
            if (digits.Length == 0) throw Error(start, $"expected a {what}, found {Found()}");
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value > max)
                throw Error(start, $"the {what} {Clip(digits)} is larger than {max}");
            return ScriptNumber.Of((uint)value);
        }

        // ---- system calls ----

        private SyscallEvent ParseSyscall(int line, ScriptTime time)
        {
            int start = _pos;
            string name = ReadIdentifier();
            if (!Syscalls.TryGetValue(name, out var arity))
                throw Error(start, $"unknown system call '{Clip(name)}'; known: {string.Join(", ", Syscalls.Keys)}");
            SkipSpaces();
            if (Peek() != '(') throw Error(_pos, $"expected '(' after {name}, found {Found()}");
            int open = _pos;
            _pos++;
            var args = new List<SyscallArg>();
            SkipTrivia();
            if (Peek() != ')')
            {
                while (true)
                {
                    args.Add(ParseExpression(1));
                    SkipTrivia();
                    if (Peek() == ',')
                    {
                        _pos++;
                        SkipTrivia();
                        continue;
                    }
                    if (Peek() == ')') break;
                    throw Error(AtEnd ? open : _pos, AtEnd ? $"unclosed '(' after {name}" : $"expected ',' or ')' in the arguments of {name}, found {Found()}");
                }
            }
            _pos++;
            if (args.Count < arity.Min || args.Count > arity.Max)
            {
                string expected = arity.Min == arity.Max ? $"{arity.Min}" : $"{arity.Min} or {arity.Max}";
                throw Error(start, $"{name} takes {expected} argument{(arity.Max == 1 ? "" : "s")}, found {args.Count}");
            }
            SkipSpaces();
            if (Peek() != '=') throw Error(_pos, $"expected '= result' after {name}(...), found {Found()}");
            _pos++;
            SkipSpaces();
            var result = ParseResult();
            return new SyscallEvent(line, time, name, new ValueList<SyscallArg>(args), result);
        }

        private SyscallResult ParseResult()
        {
            int start = _pos;
            bool negative = Peek() == '-';
            if (negative) _pos++;
            bool hex = !negative && LooksAt("0x");
            if (hex) _pos += 2;
            string digits = ReadWhile(hex ? char.IsAsciiHexDigit : char.IsAsciiDigit);
            if (digits.Length == 0) throw Error(start, $"expected the result (a number, or -1 and an errno name), found {FoundAt(start)}");
            if (!long.TryParse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw Error(start, $"the result {Clip(digits)} is too large");
            if (negative) value = -value;
            int save = _pos;
            SkipSpaces();
            if (!char.IsAsciiLetter(Peek()))
            {
                // packetdrill lets any result carry a note in parentheses: = 0x2 (flags O_RDWR).
                if (Peek() == '(') ReadParenthesized();
                else _pos = save;
                return new SyscallResult(value, value == -1 ? SyscallResult.AnyErrno : null);
            }
            int errnoStart = _pos;
            string errno = ReadIdentifier();
            if (!Errno.TryGetNumber(errno, out _))
                throw Error(errnoStart, $"unknown errno name '{Clip(errno)}'");
            if (value != -1) throw Error(errnoStart, $"an errno name goes with a -1 result, not {value}");
            save = _pos;
            SkipSpaces();
            string? description = null;
            if (Peek() == '(')
            {
                description = ReadParenthesized();
            }
            else
            {
                _pos = save;
            }
            return new SyscallResult(value, errno, description);
        }

        /// <summary>A parenthesized note after a result, nested parentheses allowed, on one line; its text.</summary>
        private string ReadParenthesized()
        {
            int open = _pos;
            int depth = 0;
            int i = _pos;
            for (; i < _text.Length && _text[i] is not ('\n' or '\r'); i++)
            {
                if (_text[i] == '(') depth++;
                else if (_text[i] == ')' && --depth == 0) break;
            }
            if (depth != 0 || i >= _text.Length || _text[i] != ')')
                throw Error(open, "unclosed '(' in the errno description");
            _pos = i + 1;
            return _text[(open + 1)..i];
        }

        private SyscallArg ParseExpression(int depth)
        {
            var first = ParsePrimary(depth);
            SkipTrivia();
            if (Peek() != '|') return first;
            var operands = new List<SyscallArg> { first };
            while (Peek() == '|')
            {
                _pos++;
                SkipTrivia();
                int at = _pos;
                var operand = ParsePrimary(depth);
                if (operand is not (SyscallArg.Number or SyscallArg.Constant))
                    throw Error(at, "only numbers and constants can be combined with '|'");
                operands.Add(operand);
                SkipTrivia();
            }
            if (first is not (SyscallArg.Number or SyscallArg.Constant))
                throw Error(_pos, "only numbers and constants can be combined with '|'");
            return new SyscallArg.BitOr(new ValueList<SyscallArg>(operands));
        }

        private SyscallArg ParsePrimary(int depth)
        {
            if (depth > MaxNesting) throw Error(_pos, $"arguments nest more than {MaxNesting} deep");
            int start = _pos;
            char c = Peek();
            if (LooksAt("..."))
            {
                _pos += 3;
                return new SyscallArg.Ellipsis();
            }
            if (char.IsAsciiDigit(c) || (c == '-' && char.IsAsciiDigit(Peek(1))))
                return new SyscallArg.Number(ParseInteger());
            if (char.IsAsciiLetter(c) || c == '_')
            {
                string name = ReadIdentifier();
                if (!ScriptConstants.IsKnown(name))
                    throw Error(start, $"unknown constant '{Clip(name)}'");
                return new SyscallArg.Constant(name);
            }
            if (c == '[')
            {
                _pos++;
                var items = new List<SyscallArg>();
                SkipTrivia();
                if (Peek() != ']')
                {
                    while (true)
                    {
                        items.Add(ParseExpression(depth + 1));
                        SkipTrivia();
                        if (Peek() == ',')
                        {
                            _pos++;
                            SkipTrivia();
                            continue;
                        }
                        if (Peek() == ']') break;
                        throw Error(AtEnd ? start : _pos, AtEnd ? "unclosed '['" : $"expected ',' or ']', found {Found()}");
                    }
                }
                _pos++;
                return new SyscallArg.ArrayLiteral(new ValueList<SyscallArg>(items));
            }
            if (c == '{')
            {
                _pos++;
                var fields = new List<StructField>();
                bool open = false;
                SkipTrivia();
                if (Peek() != '}')
                {
                    while (true)
                    {
                        int fieldStart = _pos;
                        if (LooksAt("..."))
                        {
                            _pos += 3;
                            SkipTrivia();
                            if (fields.Count == 0 && Peek() == ',') return ParseIovec(start, depth);
                            open = true;
                            if (Peek() != '}') throw Error(AtEnd ? start : _pos, AtEnd ? "unclosed '{'" : $"'...' must be the last thing in a struct, found {Found()}");
                            break;
                        }
                        if (!(char.IsAsciiLetter(Peek()) || Peek() == '_'))
                            throw Error(AtEnd ? start : _pos, AtEnd ? "unclosed '{'" : $"expected a field name (name=value) or '...', found {Found()}");
                        string name = ReadIdentifier();
                        if (fields.Any(f => f.Name == name)) throw Error(fieldStart, $"field '{name}' appears twice");
                        SkipTrivia();
                        SyscallArg? subscript = null;
                        if (Peek() == '(')
                        {
                            // packetdrill's msghdr: msg_name(...)=..., msg_iov(2)=[...].
                            _pos++;
                            SkipTrivia();
                            subscript = ParseExpression(depth + 1);
                            SkipTrivia();
                            if (Peek() != ')') throw Error(AtEnd ? start : _pos, $"expected ')' after {name}(..., found {Found()}");
                            _pos++;
                            SkipTrivia();
                        }
                        if (Peek() != '=') throw Error(_pos, $"expected '=' after the field name {name}, found {Found()}");
                        _pos++;
                        SkipTrivia();
                        fields.Add(new StructField(name, ParseExpression(depth + 1), subscript));
                        SkipTrivia();
                        if (Peek() == ',')
                        {
                            _pos++;
                            SkipTrivia();
                            continue;
                        }
                        if (Peek() == '}') break;
                        throw Error(AtEnd ? start : _pos, AtEnd ? "unclosed '{'" : $"expected ',' or '}}', found {Found()}");
                    }
                }
                _pos++;
                return new SyscallArg.StructLiteral(new ValueList<StructField>(fields), open);
            }
            if (c == '"') return ParseString(start);
            throw Error(start, $"expected an argument (a number, a constant such as SOCK_STREAM, ..., [...] or {{...}}), found {Found()}");
        }

        /// <summary>
        /// A quoted string as packetdrill's lexer and unescape_cstring_expression read it: C escapes \xHH, octal
        /// \NNN, \n, \t, \r, \\, \" and \' stand for their byte; other characters for their UTF-8 bytes.
        /// </summary>
        private SyscallArg.Bytes ParseString(int start)
        {
            _pos++;
            var bytes = new List<byte>();
            int textStart = _pos;
            while (true)
            {
                if (AtEnd || Peek() == '\n') throw Error(start, "unclosed '\"'");
                char ch = Peek();
                if (ch == '"') break;
                _pos++;
                if (ch != '\\')
                {
                    bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(ch.ToString()));
                    continue;
                }
                int escape = _pos - 1;
                char e = AtEnd ? '\0' : Peek();
                _pos++;
                switch (e)
                {
                    case 'x':
                        int hexStart = _pos;
                        while (_pos - hexStart < 2 && char.IsAsciiHexDigit(Peek())) _pos++;
                        string hex = _text[hexStart.._pos];
                        if (hex.Length == 0) throw Error(escape, "\\x needs one or two hex digits");
                        bytes.Add(byte.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                        break;
                    case >= '0' and <= '7':
                        int value = e - '0';
                        for (int i = 0; i < 2 && Peek() is >= '0' and <= '7'; i++)
                        {
                            value = value * 8 + (Peek() - '0');
                            _pos++;
                        }
                        bytes.Add((byte)value);
                        break;
                    case 'n': bytes.Add((byte)'\n'); break;
                    case 't': bytes.Add((byte)'\t'); break;
                    case 'r': bytes.Add((byte)'\r'); break;
                    case '\\' or '"' or '\'': bytes.Add((byte)e); break;
                    default: throw Error(escape, $"unknown escape '\\{e}' in a quoted string");
                }
            }
            string text = _text[textStart.._pos];
            _pos++;
            return new SyscallArg.Bytes(new ValueList<byte>(bytes), text);
        }

        /// <summary>The rest of an iovec, <c>{..., 100}</c>, after its <c>...</c>: the length.</summary>
        private SyscallArg.Iovec ParseIovec(int start, int depth)
        {
            _pos++;
            SkipTrivia();
            var length = ParseExpression(depth + 1);
            SkipTrivia();
            if (Peek() != '}') throw Error(AtEnd ? start : _pos, AtEnd ? "unclosed '{'" : $"expected '}}' after an iovec's length, found {Found()}");
            _pos++;
            return new SyscallArg.Iovec(length);
        }

        private long ParseInteger()
        {
            int start = _pos;
            bool negative = Peek() == '-';
            if (negative) _pos++;
            bool hex = Peek() == '0' && Peek(1) is 'x' or 'X';
            if (hex) _pos += 2;
            string digits = ReadWhile(hex ? char.IsAsciiHexDigit : char.IsAsciiDigit);
            if (char.IsAsciiLetterOrDigit(Peek()) || Peek() == '_')
                throw Error(start, $"malformed number {FoundAt(start)}");
            if (digits.Length == 0
                || !long.TryParse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out long value)
                || value < 0)
                throw Error(start, $"malformed or too large number {FoundAt(start)}");
            return negative ? -value : value;
        }

        // ---- characters ----

        /// <summary>Spaces and tabs only: the event stays on its line.</summary>
        private void SkipSpaces()
        {
            while (Peek() is ' ' or '\t' && Has(0)) _pos++;
        }

        /// <summary>Whitespace, newlines and comments (<c>// ...</c> and <c>/* ... */</c>).</summary>
        private void SkipTrivia()
        {
            while (!AtEnd)
            {
                char c = Peek();
                if (char.IsWhiteSpace(c)) _pos++;
                else if (LooksAt("//")) SkipLineComment();
                else if (LooksAt("/*")) SkipBlockComment();
                else break;
            }
        }

        private void SkipLineComment()
        {
            while (!AtEnd && Peek() != '\n') _pos++;
        }

        private void SkipBlockComment()
        {
            int start = _pos;
            int close = _text.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
            if (close < 0) throw Error(start, "unterminated comment: '/*' without '*/'");
            _pos = close + 2;
        }

        /// <summary>After an event: only spaces and comments may follow on its line.</summary>
        private void ExpectEndOfLine()
        {
            while (!AtEnd)
            {
                char c = Peek();
                if (c is ' ' or '\t') _pos++;
                else if (c is '\n' or '\r') return;
                else if (LooksAt("//")) { SkipLineComment(); return; }
                else if (LooksAt("/*"))
                {
                    int line = LineOf(_pos);
                    SkipBlockComment();
                    if (LineOf(_pos) != line) return;
                }
                else throw Error(_pos, $"unexpected {Found()} after the end of the event; one event per line");
            }
        }

        private bool IsWord(string word) =>
            LooksAt(word) && !(char.IsAsciiLetterOrDigit(Peek(word.Length)) || Peek(word.Length) == '_');

        private string ReadIdentifier() => ReadWhile(c => char.IsAsciiLetterOrDigit(c) || c == '_');

        private string ReadWhile(Func<char, bool> accept)
        {
            int start = _pos;
            while (!AtEnd && accept(_text[_pos])) _pos++;
            return _text[start.._pos];
        }

        private string Found() => FoundAt(_pos);

        private string FoundAt(int pos)
        {
            if (pos >= _text.Length) return "the end of the file";
            while (pos < _text.Length && _text[pos] is ' ' or '\t') pos++;
            if (pos >= _text.Length) return "the end of the file";
            if (_text[pos] is '\n' or '\r') return "the end of the line";
            int end = pos;
            while (end < _text.Length && end - pos < 24 && !char.IsWhiteSpace(_text[end])) end++;
            return $"'{Printable(_text[pos..Math.Max(end, pos + 1)])}'";
        }

        private static string Clip(string s) => Printable(s.Length > 24 ? s[..24] + "…" : s);

        private static string Printable(string s) =>
            string.Concat(s.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

        private int LineOf(int pos)
        {
            int i = _lineStarts.BinarySearch(pos);
            return (i >= 0 ? i : ~i - 1) + 1;
        }

        private ScriptParseException Error(int pos, string message)
        {
            pos = Math.Clamp(pos, 0, _text.Length);
            int line = LineOf(pos);
            int column = pos - _lineStarts[line - 1] + 1;
            return new ScriptParseException(_file, line, column, message);
        }

        private static List<int> LineStarts(string text)
        {
            var starts = new List<int> { 0 };
            for (int i = 0; i < text.Length; i++)
                if (text[i] == '\n') starts.Add(i + 1);
            return starts;
        }
    }
}

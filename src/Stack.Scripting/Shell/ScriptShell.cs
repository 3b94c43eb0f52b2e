using System.Globalization;
using System.Text;

namespace Stack.Scripting.Shell;

/// <summary>What a script's shell line asks of the system: sysctl settings, and what this runner cannot do.</summary>
public sealed class ShellOutcome
{
    /// <summary>Sysctl names (dotted, as <c>net.ipv4.tcp_sack</c>) with their values, in the order given.</summary>
    public List<(string Name, string Value)> Sysctls { get; } = [];

    /// <summary><c>ip tcp_metrics flush</c> was among the commands: the Fast Open client's cache is emptied.</summary>
    public bool FlushMetrics { get; set; }

    /// <summary>
    /// <c>tc qdisc … fq</c> (true) or a FIFO qdisc (false) was installed: sockets made after it are paced as
    /// Linux paces under fq (<see cref="Stack.Tcp.TcpConfig.FqPacing"/>), or not.
    /// </summary>
    public bool? FqQdisc { get; set; }

    /// <summary>
    /// <c>tc qdisc … pfifo limit 0</c> (true: a local queue with no room, which drops all the host sends, as
    /// the suite emulates local congestion) or another qdisc, or <c>tc qdisc delete</c> (false): the link
    /// takes frames again.
    /// </summary>
    public bool? QdiscDropsAll { get; set; }

    /// <summary>
    /// Files the commands make or remove, in order: a size (of zeros, <c>dd if=/dev/zero</c>) or null (<c>rm</c>).
    /// They live in the runner's own table, never on the host: open() and sendfile() read them.
    /// </summary>
    public List<(string Path, long? Size)> Files { get; } = [];

    /// <summary>
    /// <c>ip [-6] route add|change|replace DEST … [advmss N] [mtu [lock] M] [initcwnd K]</c>, in order: the route's
    /// metrics, which the runner gives the stack's route to the script's host.
    /// </summary>
    public List<ShellRoute> Routes { get; } = [];

    /// <summary>Commands, or parts of them, with no counterpart here; each says why.</summary>
    public List<string> Unsupported { get; } = [];
}

/// <summary>An <c>ip route</c> line's destination (as written) and the metrics it sets.</summary>
public sealed record ShellRoute(string Destination, int? AdvertisedMss, int? Mtu, bool MtuLocked, int? InitialCwnd);

/// <summary>
/// Reads the shell lines of packetdrill scripts — never runs them: the stack under test is not the host, and a
/// script must never change the host's settings. What the suite's lines do is recognised and turned into
/// settings: <c>sysctl [-q|-w] NAME=VALUE…</c>, <c>echo VALUE &gt; /proc/sys/…</c>, the suite's
/// <c>common/defaults.sh</c> (or any <c>.sh</c> file beside the script: its lines are read the same way),
/// <c>common/set_sysctls.py /proc/sys/…=VALUE…</c>, the restore script it writes (nothing to restore: every
/// run starts from a fresh stack), <c>ip tcp_metrics flush</c> (the Fast Open client's cache), <c>ip route</c>
/// metrics (advmss, mtu [lock], initcwnd, for the route to the script's host), <c>ethtool -K … gso/tso off</c>
/// (the runner's link has no offloads to turn off) and a FIFO
/// <c>tc qdisc</c> (the stack sends in order; with <c>limit 0</c> it drops all, and <c>tc qdisc delete</c> removes it), and an fq one (pacing as Linux under fq). <c>$((…))</c> arithmetic, <c>$PPID</c>, quotes, <c>;</c>,
/// <c>&amp;&amp;</c>, <c>||</c>, redirections and backslash-newline continuations are understood; anything else is reported as unsupported.
/// </summary>
public static class ScriptShell
{
    private const int MaxDepth = 4;

    /// <param name="directory">The script's folder, where relative paths in the command are looked up.</param>
    public static ShellOutcome Read(string command, string? directory)
    {
        var outcome = new ShellOutcome();
        Read(command, directory, outcome, depth: 0);
        return outcome;
    }

    private static void Read(string text, string? directory, ShellOutcome outcome, int depth)
    {
        // A backslash before a newline joins the lines (POSIX: the pair is removed), as in the suite's
        // `set_sysctls.py \` lines.
        text = text.Replace("\\\r\n", " ", StringComparison.Ordinal).Replace("\\\n", " ", StringComparison.Ordinal);
        foreach (var rawLine in text.Split('\n'))
        {
            string line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            foreach (var simple in SplitCommands(line))
            {
                List<string> words;
                string? redirectTarget;
                try
                {
                    words = Words(simple, out redirectTarget);
                }
                catch (Exception e) when (e is FormatException or OverflowException)
                {
                    outcome.Unsupported.Add($"`{simple.Trim()}`: {e.Message}");
                    continue;
                }
                if (words.Count == 0) continue;
                Command(words, redirectTarget, directory, outcome, depth, simple.Trim());
            }
        }
    }

    private static void Command(List<string> words, string? redirect, string? directory, ShellOutcome outcome, int depth, string text)
    {
        string program = words[0];
        string name = Path.GetFileName(program);
        if (name == "sysctl")
        {
            foreach (var arg in words.Skip(1).Where(a => !a.StartsWith('-')))
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0) outcome.Sysctls.Add((arg[..eq].Replace('/', '.'), arg[(eq + 1)..].Trim()));
            }
            return;
        }
        if (name == "echo" && redirect is not null && redirect.StartsWith("/proc/sys/", StringComparison.Ordinal))
        {
            outcome.Sysctls.Add((redirect["/proc/sys/".Length..].Replace('/', '.'), string.Join(' ', words.Skip(1))));
            return;
        }
        if (name == "set_sysctls.py")
        {
            foreach (var arg in words.Skip(1))
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0 && arg.StartsWith("/proc/sys/", StringComparison.Ordinal))
                    outcome.Sysctls.Add((arg["/proc/sys/".Length..eq].Replace('/', '.'), arg[(eq + 1)..]));
            }
            return;
        }
        if (name.StartsWith("sysctl_restore_", StringComparison.Ordinal) || name is "true" or ":")
        {
            return;
        }
        if (name.EndsWith(".sh", StringComparison.Ordinal) && depth < MaxDepth
            && Resolve(program, directory) is { } file)
        {
            Read(File.ReadAllText(file), Path.GetDirectoryName(file), outcome, depth + 1);
            return;
        }
        if (name == "rm" && words.Skip(1).All(w => w == "-f" || !w.StartsWith('-')))
        {
            foreach (var path in words.Skip(1).Where(w => !w.StartsWith('-'))) outcome.Files.Add((path, null));
            return;
        }
        if (name == "dd" && ZeroFile(words) is { } made)
        {
            outcome.Files.Add(made);
            return;
        }
        if (name == "ip" && words.Count >= 3 && words[1] == "tcp_metrics" && words[2] == "flush")
        {
            outcome.FlushMetrics = true;
            return;
        }
        if (name == "ip" && RouteLine(words) is { } route)
        {
            outcome.Routes.Add(route);
            return;
        }
        if (name == "ethtool" && words.Count >= 3 && words[1] == "-K" && words.Skip(3).Where((_, i) => i % 2 == 1).All(w => w == "off"))
        {
            return; // Turning offloads off: the runner's link segments nothing, so there is nothing to turn off.
        }
        if (name == "tc" && words.Count >= 3 && words[1] == "qdisc" && words[2] is "delete" or "del")
        {
            outcome.QdiscDropsAll = false;
            return;
        }
        if (name == "tc" && words.Count >= 2 && words[1] == "qdisc"
            && words.Skip(2).Any(w => w is "pfifo" or "pfifo_fast" or "bfifo"))
        {
            outcome.FqQdisc = false;
            outcome.QdiscDropsAll = words.SkipWhile(w => w != "limit").Skip(1).FirstOrDefault() == "0";
            return;
        }
        if (name == "tc" && words.Count >= 2 && words[1] == "qdisc" && words.Skip(2).Contains("fq"))
        {
            outcome.FqQdisc = true;
            outcome.QdiscDropsAll = false;
            return;
        }
        outcome.Unsupported.Add($"`{text}`: no counterpart in this runner");
    }

    /// <summary>Route keywords that take a value and change nothing the stack models (the next hop, the device, ...).</summary>
    private static readonly HashSet<string> RouteWordsWithValue = ["via", "dev", "src", "proto", "metric", "table", "scope"];

    /// <summary>
    /// <c>ip [-4|-6] route add|change|replace DEST [via A] [dev D] [advmss N] [mtu [lock] M] [initcwnd K]</c>: the
    /// destination and metrics. Null for other ip lines, or a route with a keyword this runner does not know.
    /// </summary>
    private static ShellRoute? RouteLine(List<string> words)
    {
        int i = 1;
        while (i < words.Count && words[i] is "-4" or "-6") i++;
        if (i + 2 >= words.Count || words[i] is not ("route" or "r" or "ro") || words[i + 1] is not ("add" or "change" or "replace")) return null;
        string destination = words[i + 2];
        int? advmss = null, mtu = null, initcwnd = null;
        bool locked = false;
        for (i += 3; i < words.Count; i++)
        {
            string word = words[i];
            bool hasValue = i + 1 < words.Count;
            if (RouteWordsWithValue.Contains(word) && hasValue) i++;
            else if (word == "advmss" && hasValue && int.TryParse(words[++i], NumberStyles.None, CultureInfo.InvariantCulture, out int a)) advmss = a;
            else if (word == "initcwnd" && hasValue && int.TryParse(words[++i], NumberStyles.None, CultureInfo.InvariantCulture, out int c)) initcwnd = c;
            else if (word == "mtu" && hasValue)
            {
                locked = words[i + 1] == "lock";
                if (locked) i++;
                if (i + 1 >= words.Count || !int.TryParse(words[++i], NumberStyles.None, CultureInfo.InvariantCulture, out int m)) return null;
                mtu = m;
            }
            else return null;
        }
        return new ShellRoute(destination, advmss, mtu, locked, initcwnd);
    }

    /// <summary>
    /// <c>dd if=/dev/zero of=PATH bs=N count=M</c> (the suite's way to make a file of zeros, packetdrill's payload):
    /// the file and its size, bs·count bytes (bs 512 by default; k, M and G suffixes as dd's). Null for other dd lines.
    /// </summary>
    private static (string Path, long? Size)? ZeroFile(List<string> words)
    {
        var args = words.Skip(1).Select(w => w.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        if (!args.TryGetValue("if", out var input) || input != "/dev/zero" || !args.TryGetValue("of", out var output)
            || !args.TryGetValue("count", out var count) || DdNumber(count) is not { } blocks
            || DdNumber(args.GetValueOrDefault("bs", "512")) is not { } blockSize)
            return null;
        return (output, blocks * blockSize);
    }

    private static long? DdNumber(string text)
    {
        long unit = text.Length > 0 ? char.ToUpperInvariant(text[^1]) switch { 'K' => 1024, 'M' => 1 << 20, 'G' => 1 << 30, _ => 1 } : 1;
        string digits = unit == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n * unit : null;
    }

    private static string? Resolve(string path, string? directory)
    {
        string full = Path.IsPathRooted(path) || directory is null ? path : Path.Combine(directory, path);
        return File.Exists(full) ? Path.GetFullPath(full) : null;
    }

    /// <summary>
    /// Splits on <c>;</c>, <c>&amp;&amp;</c> and <c>||</c> outside quotes. Both sides of <c>||</c> are read: the
    /// suite writes <c>A || B</c> for two ways to the same setting (a sysctl some kernels lack, else <c>ip</c>).
    /// </summary>
    private static IEnumerable<string> SplitCommands(string line)
    {
        var current = new StringBuilder();
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == ';' || (c is '&' or '|' && i + 1 < line.Length && line[i + 1] == c))
            {
                if (c != ';') i++;
                yield return current.ToString();
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        yield return current.ToString();
    }

    /// <summary>
    /// The words of one simple command after quote removal and expansion; a <c>&gt; FILE</c> redirection is
    /// taken out (its target returned), as are <c>2&gt;&amp;1</c>-style ones.
    /// </summary>
    private static List<string> Words(string command, out string? redirectTarget)
    {
        string? target = null;
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false, redirectNext = false;
        for (int i = 0; i < command.Length; i++)
        {
            char c = command[i];
            if (char.IsWhiteSpace(c))
            {
                Flush();
                continue;
            }
            if (c == '>')
            {
                if (inWord && word.ToString() is "1" or "2")
                {
                    word.Clear(); // The descriptor of 2> FILE or 2>&1.
                    inWord = false;
                }
                Flush();
                if (i + 1 < command.Length && command[i + 1] == '&')
                {
                    i += 2; // >&2, 2>&1: the descriptor number follows.
                    continue;
                }
                if (i + 1 < command.Length && command[i + 1] == '>') i++;
                redirectNext = true;
                continue;
            }
            inWord = true;
            if (c is '"' or '\'')
            {
                int close = command.IndexOf(c, i + 1);
                if (close < 0) close = command.Length;
                string inner = command[(i + 1)..Math.Min(close, command.Length)];
                word.Append(c == '"' ? Expand(inner) : inner);
                i = close;
            }
            else if (c == '$')
            {
                int end = ExpansionEnd(command, i);
                word.Append(Expand(command[i..end]));
                i = end - 1;
            }
            else
            {
                word.Append(c);
            }
        }
        Flush();
        redirectTarget = target;
        return words;

        void Flush()
        {
            if (!inWord) return;
            string w = word.ToString();
            if (redirectNext) target = w;
            else words.Add(w);
            word.Clear();
            inWord = redirectNext = false;
        }
    }

    private static int ExpansionEnd(string s, int start)
    {
        if (start + 2 < s.Length && s[start + 1] == '(' && s[start + 2] == '(')
        {
            int close = s.IndexOf("))", start, StringComparison.Ordinal);
            return close < 0 ? s.Length : close + 2;
        }
        if (start + 1 < s.Length && s[start + 1] == '{')
        {
            int close = s.IndexOf('}', start);
            return close < 0 ? s.Length : close + 1;
        }
        int i = start + 1;
        while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_')) i++;
        return i;
    }

    /// <summary>Expands <c>$((…))</c> and <c>$PPID</c>/<c>${PPID}</c> (a fixed number: there is no process) in text.</summary>
    private static string Expand(string text)
    {
        var s = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '$')
            {
                s.Append(text[i]);
                continue;
            }
            int end = ExpansionEnd(text, i);
            string expansion = text[i..end];
            if (expansion.StartsWith("$((", StringComparison.Ordinal) && expansion.EndsWith("))", StringComparison.Ordinal))
                s.Append(Arithmetic.Evaluate(expansion[3..^2]).ToString(CultureInfo.InvariantCulture));
            else
                s.Append(expansion.Trim('$', '{', '}') == "PPID" ? "1" : "");
            i = end - 1;
        }
        return s.ToString();
    }
}

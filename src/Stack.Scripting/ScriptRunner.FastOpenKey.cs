using Stack.Tcp.FastOpen;

namespace Stack.Scripting;

/// <summary>
/// TCP_FASTOPEN_KEY as Linux's do_tcp_setsockopt and do_tcp_getsockopt: a listener's own cookie key, 16 bytes, or
/// 32 for a primary and a backup (TCP_FASTOPEN_KEY_BUF_LENGTH); the bytes are the SipHash key as is.
/// </summary>
public sealed partial class ScriptRunner
{
    private const int FastOpenKeyLength = 16;

    private Outcome SetFastOpenKey(SyscallEvent s, ScriptSocket sock)
    {
        long length = Number(s, 4, "a length");
        if (length is not (FastOpenKeyLength or 2 * FastOpenKeyLength)) return Outcome.Error("EINVAL");
        if (s.Arguments[3] is not SyscallArg.Bytes given)
            throw Fail("setsockopt(TCP_FASTOPEN_KEY) needs the key as a quoted string, such as \"\\x01\\x02...\"");
        var bytes = new byte[length];
        for (int i = 0; i < Math.Min(given.Value.Count, bytes.Length); i++) bytes[i] = given.Value[i];
        var primary = FastOpenKey.FromBytes(bytes.AsSpan(0, FastOpenKeyLength));
        var backup = length > FastOpenKeyLength ? FastOpenKey.FromBytes(bytes.AsSpan(FastOpenKeyLength)) : null;
        sock.Config = sock.Config with { FastOpenKey = primary, FastOpenBackupKey = backup };
        if (sock.Listener is { IsClosed: false } listener) listener.Config = sock.Config;
        return new Outcome(0);
    }

    /// <summary>Linux reads back the socket's keys, or the stack's (the tcp_fastopen_key sysctl) when it has none.</summary>
    private Outcome GetFastOpenKey(SyscallEvent s, ScriptSocket sock, SyscallArg output)
    {
        var config = sock.Config;
        var (primary, backup) = config.FastOpenKey is { } own ? (own, config.FastOpenBackupKey) : (_tcp.FastOpen.Key, _tcp.FastOpen.BackupKey);
        byte[] actual = [.. primary.Bytes, .. backup is null ? [] : backup.Bytes];
        if (output is SyscallArg.Bytes expected && !expected.Value.SequenceEqual(actual))
        {
            string shown = string.Concat(actual.Select(b => $"\\x{b:x2}"));
            throw Fail($"getsockopt(TCP_FASTOPEN_KEY) output differs: expected {expected}, got \"{shown}\"", expected: s.FormatAction());
        }
        return new Outcome(0);
    }
}

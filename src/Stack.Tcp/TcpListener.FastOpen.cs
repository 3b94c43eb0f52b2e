using Stack.Tcp.FastOpen;
using Stack.Tcp.Wire;

namespace Stack.Tcp;

/// <summary>
/// TCP Fast Open on the server side (RFC 7413 §4.2): a SYN with a valid cookie makes a connection at once, its data
/// readable and the connection acceptable before the handshake's last ACK; a SYN asking for a cookie, or with
/// one that does not check out, is answered with a good cookie and handled as a plain SYN.
/// </summary>
public sealed partial class TcpListener
{
    private int _fastOpenQueueLength;

    /// <summary>
    /// Connections opened by Fast Open whose handshake is not finished (RFC 7413 §5.1: the limit on them is the
    /// defence against SYN floods carrying valid cookies). Linux's TCP_FASTOPEN qlen; 0 turns Fast Open off
    /// for this listener.
    /// </summary>
    public int FastOpenQueueLength
    {
        get => _fastOpenQueueLength;
        set => _fastOpenQueueLength = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A queue length is not negative.");
    }

    /// <summary>Fast Open connections still in SYN-RECEIVED.</summary>
    public int FastOpenPending { get; private set; }

    /// <summary>What a SYN gets from Fast Open, as Linux's tcp_try_fastopen decides it.</summary>
    private FastOpenAnswer ConsiderFastOpen(in TcpHeader syn, in TcpOptions options, FourTuple tuple)
    {
        TcpFastOpen fastOpen = _layer.FastOpen;
        FastOpenCookie? offered = options.FastOpen;
        bool data = syn.Payload.Length > 0;
        if (offered is { IsRequest: true })
        {
            _layer.Statistics.FastOpenCookieRequests++;
        }
        if (!fastOpen.ServerEnabled || FastOpenQueueLength == 0 || (offered is null && !data))
        {
            return FastOpenAnswer.None;
        }
        if (FastOpenPending >= FastOpenQueueLength)
        {
            _layer.Statistics.FastOpenListenOverflows++;
            return FastOpenAnswer.None;
        }
        if ((fastOpen.Modes & FastOpenModes.ServerWithoutCookie) != 0)
        {
            return FastOpenAnswer.Open(null);
        }
        if (offered is not { } cookie)
        {
            return FastOpenAnswer.None;
        }
        // Linux tcp_fastopen_get_ctx: the listener's own key (TCP_FASTOPEN_KEY) if set, else the stack's.
        FastOpenKey key = Config.FastOpenKey ?? fastOpen.Key;
        FastOpenKey? backupKey = Config.FastOpenKey is null ? fastOpen.BackupKey : Config.FastOpenBackupKey;
        FastOpenCookie valid = key.CookieFor(tuple.RemoteAddress, tuple.LocalAddress);
        if (cookie.IsRequest)
        {
            return FastOpenAnswer.Reply(valid);
        }
        if (cookie == valid)
        {
            return FastOpenAnswer.Open(null);
        }
        if (backupKey is { } backup && cookie == backup.CookieFor(tuple.RemoteAddress, tuple.LocalAddress))
        {
            return FastOpenAnswer.Open(valid); // Still good; the client learns the current one.
        }
        _layer.Statistics.FastOpenPassiveFail++;
        return FastOpenAnswer.Reply(valid);
    }

    /// <summary>A Fast Open connection: acceptable now, in SYN-RECEIVED, counted against the queue until its handshake ends.</summary>
    private void OpenFast(TcpConnection c)
    {
        _layer.Statistics.FastOpenPassive++;
        FastOpenPending++;
        OnChildEstablished(c); // Into the accept queue as a finished handshake would go.
    }

    internal void OnFastOpenChildDone() => FastOpenPending--;
}

/// <summary>A listener's Fast Open verdict on one SYN: take its data, and which cookie (if any) the SYN-ACK carries.</summary>
internal readonly record struct FastOpenAnswer(bool Accept, FastOpenCookie? Cookie)
{
    public static FastOpenAnswer None => default;
    public static FastOpenAnswer Open(FastOpenCookie? cookie) => new(true, cookie);
    public static FastOpenAnswer Reply(FastOpenCookie cookie) => new(false, cookie);
}

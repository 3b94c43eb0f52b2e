using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.Sockets.Diagnostics;
using Stack.Sockets.Hosting;

namespace Stack.Sockets.Control;

/// <summary>
/// A running stack's control endpoint: a Unix-domain stream socket (mode 0600 in a 0700 directory, see
/// <see cref="ControlPaths"/>) that answers <see cref="ControlProtocol"/> requests for <c>stack ss</c> and
/// <c>stack nstat</c>. Only the stack's own user may talk to it: the file system keeps others out, and a peer
/// whose SO_PEERCRED uid differs is answered with an error and dropped. Requests are served off the loop; each
/// takes its snapshot with one short visit to the loop, so a client, however slow or hostile, never holds the loop.
/// </summary>
public sealed class ControlServer : IDisposable
{
    /// <summary>Clients served at once; another is told the server is busy.</summary>
    public const int MaxClients = 8;

    /// <summary>How long a client may sit between requests, and how long a snapshot may wait for the loop.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan LoopTimeout = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<StackInstance> _stacks; // one, or the shards of a multi-queue stack
    private readonly string _name;
    private readonly Socket _listener;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly DateTime _started = DateTime.UtcNow;
    private int _clients;
    private long _served;
    private long _refused;

    private ControlServer(IReadOnlyList<StackInstance> stacks, string name, Socket listener, string path, ILogger log)
    {
        _stacks = stacks;
        _name = name;
        _listener = listener;
        Path = path;
        _log = log;
    }

    public string Path { get; }

    /// <summary>Requests answered, errors included.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Connections turned away: another user, too many clients, an oversized request.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Starts serving <paramref name="stack"/> at <see cref="ControlPaths.For"/> its name.</summary>
    public static ControlServer Start(StackInstance stack, ILogger? log = null) =>
        Start(stack, ControlPaths.For(stack?.Name ?? throw new ArgumentNullException(nameof(stack))), log);

    /// <summary>
    /// Starts serving <paramref name="stack"/> at <paramref name="path"/>. A socket file left by a stack that is
    /// gone is replaced; one a running stack answers on is not.
    /// </summary>
    /// <exception cref="ControlSocketException">The path is taken by a running stack (<see cref="ControlSocketInUseException"/>), its directory is not private, or the file system refused.</exception>
    public static ControlServer Start(StackInstance stack, string path, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return Start([stack], stack.Name, path, log);
    }

    /// <summary>
    /// Starts serving the shards of a multi-queue stack (<see cref="StackShards"/>) at <paramref name="path"/> as one
    /// stack called <paramref name="name"/>: <c>stack ss</c> lists every shard's sockets (a listener once per shard,
    /// as Linux lists SO_REUSEPORT sockets), <c>stack nstat</c> sums every counter and gauge over the shards and adds
    /// a few per shard (StackShard{K}…, docs/metrics.md). One shard is served exactly as one stack.
    /// </summary>
    public static ControlServer Start(StackShards shards, string name, string path, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        return Start(shards.Shards, name, path, log);
    }

    private static ControlServer Start(IReadOnlyList<StackInstance> stacks, string name, string path, ILogger? log)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("control sockets are for Unix");
        Socket listener;
        try
        {
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
            ControlPaths.EnsurePrivateDirectory(directory);
            RemoveStale(path);
            listener = Listen(path);
        }
        catch (Exception e) when (e is (IOException or UnauthorizedAccessException or SocketException) and not ControlSocketException)
        {
            throw new ControlSocketException($"cannot open the control socket {path}: {e.Message}", e);
        }
        var server = new ControlServer(stacks, name, listener, path, log ?? NullLogger.Instance);
        _ = server.AcceptLoop();
        return server;
    }

    private static Socket Listen(string path)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(MaxClients);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private static void RemoveStale(string path)
    {
        if (!File.Exists(path)) return;
        switch (ControlPaths.Probe(path))
        {
            case SocketError.Success:
                throw new ControlSocketInUseException(path);
            case SocketError.ConnectionRefused when path.EndsWith(".sock", StringComparison.Ordinal):
                File.Delete(path); // Nobody listens: left by a stack that did not shut down.
                return;
            case var error:
                throw new ControlSocketException($"{path} exists and is not a stack's control socket ({error}); remove it or pick another --name");
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Serve(client);
        }
    }

    private async Task Serve(Socket client)
    {
        using var _ = client;
        using var stream = new NetworkStream(client, ownsSocket: false);
        bool counted = false;
        try
        {
            if (PeerUid(client) is { } uid && uid != ControlPaths.EffectiveUid)
            {
                HostingLog.ControlRefused(_log, uid);
                await Refuse(client, stream, $"permission denied: this stack belongs to uid {ControlPaths.EffectiveUid}").ConfigureAwait(false);
                return;
            }
            counted = true;
            if (Interlocked.Increment(ref _clients) > MaxClients)
            {
                await Refuse(client, stream, $"busy: {MaxClients} clients already connected").ConfigureAwait(false);
                return;
            }
            await ServeRequests(client, stream).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or idled out: nothing to tell anyone.
        }
        catch (Exception e)
        {
            HostingLog.ControlFailed(_log, e);
        }
        finally
        {
            if (counted) Interlocked.Decrement(ref _clients);
        }
    }

    private async Task ServeRequests(Socket client, NetworkStream stream)
    {
        var reader = new RequestReader(stream);
        while (!_stop.IsCancellationRequested)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            idle.CancelAfter(IdleTimeout);
            var line = await reader.ReadLineAsync(idle.Token).ConfigureAwait(false);
            if (line.IsEnd) return;
            if (line.TooLong)
            {
                await Refuse(client, stream, $"request longer than {ControlProtocol.MaxRequestBytes} bytes").ConfigureAwait(false);
                return;
            }
            var reply = ControlProtocol.TryParseRequest(line.Bytes.Span, out var command, out var error)
                ? await Answer(command).ConfigureAwait(false)
                : ControlResponse.Failure(error);
            await Write(stream, reply).ConfigureAwait(false);
            Interlocked.Increment(ref _served);
        }
    }

    private async Task<ControlResponse> Answer(string command)
    {
        try
        {
            return command switch
            {
                ControlProtocol.Sockets => new ControlResponse(ControlProtocol.Version, true,
                    Sockets: [.. (await OnEachLoop(SocketSnapshot.Take).ConfigureAwait(false)).SelectMany(Tagged)]),
                ControlProtocol.Counters => new ControlResponse(ControlProtocol.Version, true,
                    Counters: [.. StackCounters.Combine(await OnEachLoop((s, _) => StackCounters.Read(s)).ConfigureAwait(false))
                        .Select(c => new CounterEntry(c.Name, c.Value, c.IsGauge))]),
                _ => new ControlResponse(ControlProtocol.Version, true, Hello: await OnLoop(_stacks[0], _ => Summary()).ConfigureAwait(false)),
            };
        }
        catch (TimeoutException)
        {
            return ControlResponse.Failure("the stack's loop did not answer (stopping?)");
        }
    }

    /// <summary>Shard <paramref name="k"/>'s sockets, each saying so when there are several shards (one: as a one-loop stack).</summary>
    private IEnumerable<SocketEntry> Tagged(IReadOnlyList<SocketEntry> sockets, int k) =>
        _stacks.Count == 1 ? sockets : sockets.Select(s => s with { Shard = k });

    private Task<T> OnLoop<T>(StackInstance stack, Func<Stack.Link.Time.Instant, T> work) =>
        stack.Loop.InvokeAsync(work).WaitAsync(LoopTimeout, _stop.Token);

    /// <summary>Runs a read on every shard's own loop (each sees its shard at one instant), in shard order.</summary>
    private Task<T[]> OnEachLoop<T>(Func<StackInstance, Stack.Link.Time.Instant, T> work) =>
        Task.WhenAll(_stacks.Select(s => OnLoop(s, now => work(s, now))));

    private StackSummary Summary() => new(_name, Environment.ProcessId,
        typeof(ControlServer).Assembly.GetName().Version?.ToString() ?? "0",
        _stacks[0].Host.Mac.ToString(), _stacks[0].Host.Mtu, [.. _stacks[0].Host.Addresses.Select(a => a.ToString())],
        (DateTime.UtcNow - _started).TotalSeconds);

    /// <summary>
    /// Answers with an error and hangs up. What the client sent beyond is read and dropped first (for a bounded
    /// time and amount): a Unix socket closed with unread data resets, and the client would lose the answer.
    /// </summary>
    private async Task Refuse(Socket client, NetworkStream stream, string why)
    {
        Interlocked.Increment(ref _refused);
        await Write(stream, ControlResponse.Failure(why)).ConfigureAwait(false);
        client.Shutdown(SocketShutdown.Send);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        drain.CancelAfter(TimeSpan.FromSeconds(1));
        var sink = new byte[4096];
        for (int total = 0; total < 1 << 20;)
        {
            int n = await stream.ReadAsync(sink, drain.Token).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
    }

    private async Task Write(NetworkStream stream, ControlResponse reply)
    {
        var bytes = ControlProtocol.Encode(reply);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(IdleTimeout);
        await stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
        await stream.WriteAsync("\n"u8.ToArray(), timeout.Token).ConfigureAwait(false);
    }

    /// <summary>The peer's uid from SO_PEERCRED (struct ucred: pid, uid, gid), null where the kernel does not say.</summary>
    private static uint? PeerUid(Socket client)
    {
        const int SolSocket = 1, SoPeerCred = 17;
        Span<byte> ucred = stackalloc byte[12];
        try
        {
            return client.GetRawSocketOption(SolSocket, SoPeerCred, ucred) == 12
                ? BitConverter.ToUInt32(ucred[4..8])
                : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Gone already, or the directory with it.
        }
        _stop.Dispose();
    }
}

/// <summary>The control socket cannot be opened: its directory is not private, its path is taken, the file system said no.</summary>
public class ControlSocketException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>Another running stack answers on the control socket's path.</summary>
public sealed class ControlSocketInUseException(string path)
    : ControlSocketException($"a stack is already running with control socket {path}; pick another --name")
{
    public string Path { get; } = path;
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.Sockets.Hosting;
using Stack.Sockets;
using Stack.Apps.Diagnostics;

namespace Stack.Apps.Services;

/// <summary>
/// Runs the small services (daytime, echo, discard, chargen) on a stack over UDP and TCP, each on its
/// well-known port on every address: one wildcard socket per family and protocol, since the stack's sockets
/// are not dual-stack.
/// </summary>
public sealed class ServiceHost : IAsyncDisposable, IDisposable
{
    public const string DefaultList = "daytime,echo,discard,chargen";

    /// <summary>The TCP listeners' backlog (Linux's somaxconn default is 4096; these services are small).</summary>
    public const int Backlog = 128;

    /// <summary>
    /// Source ports never answered: another service's reply would start an endless exchange (the "fraggle"
    /// loop), as inetd guards against; port 0 cannot be answered at all.
    /// </summary>
    private static readonly ushort[] LoopPorts = [0, EchoService.WellKnownPort, DaytimeService.WellKnownPort, ChargenService.WellKnownPort];

    private readonly CancellationTokenSource _stop = new();
    private readonly List<StackSocket> _sockets = [];
    private readonly List<Task> _servers = [];
    private readonly ILogger _log;
    private bool _disposed;

    private readonly StackInstance _stack;

    private ServiceHost(StackInstance stack, ILogger log)
    {
        _stack = stack;
        _log = log;
    }

    /// <summary>The services, each on UDP; those that are also <see cref="IStreamService"/> (all four) on TCP too.</summary>
    public IReadOnlyList<IDatagramService> Services { get; private set; } = [];

    /// <summary>
    /// The names `--services` takes: a comma-separated subset of <paramref name="knownList"/> (default
    /// <see cref="DefaultList"/>), or "none". False, with a one-line reason, for an unknown name.
    /// </summary>
    public static bool TryParseList(string text, out IReadOnlyList<string> names, out string? error, string knownList = DefaultList)
    {
        ArgumentNullException.ThrowIfNull(text);
        names = [];
        error = null;
        if (text.Trim() == "none") return true;
        var known = knownList.Split(',');
        var list = new List<string>();
        foreach (var raw in text.Split(','))
        {
            var name = raw.Trim().ToLowerInvariant();
            if (!known.Contains(name))
            {
                error = $"unknown service '{raw.Trim()}' (known: {knownList}, or none)";
                return false;
            }
            if (!list.Contains(name)) list.Add(name);
        }
        names = list;
        return true;
    }

    public static IDatagramService Create(string name, TimeProvider time, Random random) => name switch
    {
        "daytime" => new DaytimeService(time),
        "echo" => new EchoService(),
        "discard" => new DiscardService(),
        "chargen" => new ChargenService(random),
        _ => throw new ArgumentException($"unknown service '{name}' (known: {DefaultList})", nameof(name)),
    };

    /// <summary>
    /// Binds every service in both families and starts serving; fails if a port is taken. Call it in the stack's
    /// configure step (<see cref="StackInstance.Start(StackOptions, Action{StackInstance}?)"/>), so that the ports are bound before the first packet
    /// arrives; on a running stack the first requests can meet port unreachable or a RST. With
    /// <paramref name="onLoop"/> (the default) the services run on the stack's event loop, each await resuming
    /// there (no thread hop per request; see <see cref="IStreamService"/>); without it, on the thread pool.
    /// </summary>
    public static ServiceHost Start(StackInstance stack, IReadOnlyList<string> names, TimeProvider? time = null,
        Random? random = null, ILogger? log = null, bool onLoop = true)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(names);
        var host = new ServiceHost(stack, log ?? NullLogger.Instance);
        var services = names.Select(n => Create(n, time ?? TimeProvider.System, random ?? Random.Shared)).ToList();
        host.Services = services;
        try
        {
            foreach (var service in services)
            {
                foreach (var any in new[] { IPAddress.Any, IPAddress.IPv6Any })
                {
                    var socket = StackSocket.Create(stack, any.AddressFamily, SocketType.Dgram);
                    host._sockets.Add(socket);
                    socket.Bind(new IPEndPoint(any, service.Port));
                    host._servers.Add(Run(stack, onLoop, () => host.ServeAsync(service, socket)));
                    if (service is IStreamService streamService)
                    {
                        var listener = StackSocket.Create(stack, any.AddressFamily, SocketType.Stream);
                        host._sockets.Add(listener);
                        streamService.Configure(listener);
                        listener.Bind(new IPEndPoint(any, service.Port));
                        listener.Listen(Backlog);
                        var token = host._stop.Token;
                        host._servers.Add(Run(stack, onLoop, () => streamService.ServeAsync(listener, token)));
                    }
                }
            }
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return host;
    }

    /// <summary>
    /// Starts <paramref name="serve"/> on the loop, inside its context (at once when called there: in a stack's
    /// configure step, before the link is up), or on the thread pool.
    /// </summary>
    private static Task Run(StackInstance stack, bool onLoop, Func<Task> serve)
    {
        if (!onLoop) return Task.Run(serve);
        if (stack.Loop.IsLoopThread) return serve();
        var started = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        stack.Loop.Post(_ =>
        {
            try { started.SetResult(serve()); }
            catch (Exception e) { started.SetException(e); }
        });
        return started.Task.Unwrap();
    }

    private async Task ServeAsync(IDatagramService service, StackSocket socket)
    {
        var request = new byte[ushort.MaxValue];
        var reply = new byte[ushort.MaxValue];
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var received = await socket.ReceiveFromAsync(request, token);
                var peer = (IPEndPoint)received.RemoteEndPoint;
                if (LoopPorts.Contains((ushort)peer.Port)) continue;
                int length = service.Answer(request.AsSpan(0, received.ReceivedBytes), reply);
                if (length >= 0) await socket.SendToAsync(reply.AsMemory(0, length), peer, token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (StackSocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
            {
                break;
            }
            catch (StackSocketException e)
            {
                // One failed reply (no route back, too big for the MTU) must not stop the service.
                AppLog.ServiceError(_log, e, service.Name, e.SocketErrorCode);
            }
        }
    }

    /// <summary>
    /// Stops the services: closes the listeners and every open connection gracefully (its queued data, then a
    /// FIN), then waits up to <see cref="DrainTime"/> for those FINs to be acknowledged, so that `stack serve`
    /// on SIGTERM ends its connections as a server process's exit does on Linux (where the kernel finishes the
    /// orphaned connections) instead of cutting them off. A peer that never acknowledges costs only the bound.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var s in _sockets) s.Dispose();
        await Task.WhenAll(_servers).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await DrainAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Cancel();
        foreach (var s in _sockets) s.Dispose();
        // On the loop thread (a configure step that failed) the servers can only finish once the loop runs again.
        if (!_stack.Loop.IsLoopThread)
        {
            Task.WhenAll(_servers).Wait(TimeSpan.FromSeconds(5));
            DrainAsync().GetAwaiter().GetResult();
        }
        _stop.Dispose();
    }

    /// <summary>How long disposing waits for the closed connections' FINs to be acknowledged (real time).</summary>
    public TimeSpan DrainTime { get; set; } = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(10);

    private async Task DrainAsync()
    {
        using var bound = new CancellationTokenSource(DrainTime);
        try
        {
            // Bounded as a whole: a stack already stopping may never run the question. Connections not closed yet
            // count too: a service's connection task may not have closed its socket when the servers returned.
            while (await _stack.Loop.InvokeAsync(_ => _stack.Tcp.PendingFinCount).WaitAsync(bound.Token).ConfigureAwait(false) > 0)
                await Task.Delay(DrainPoll, bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The bound: what is still closing is cut off with the stack.
        }
    }
}

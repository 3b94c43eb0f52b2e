using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.IP;
using Stack.Link.Devices;
using Stack.Link.Loop;
using Stack.Link.Time;

namespace Stack.Apps.Hosting;

/// <summary>
/// A running stack: one link device, the event loop that owns it, and the protocol layers on top. Everything an
/// application does to the stack goes through <see cref="Loop"/>.
/// </summary>
public sealed class StackInstance : IDisposable
{
    private StackInstance(string name, ILinkDevice device, IpHost host, EventLoop loop)
    {
        Name = name;
        Device = device;
        Host = host;
        Loop = loop;
    }

    public string Name { get; }
    public ILinkDevice Device { get; }
    public IpHost Host { get; }
    public EventLoop Loop { get; }

    /// <summary>Builds the layers on <paramref name="device"/> and starts the loop.</summary>
    public static StackInstance Start(string name, ILinkDevice device, IpHostOptions options,
        TimeProvider? time = null, ILoggerFactory? logs = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        logs ??= NullLoggerFactory.Instance;
        var host = new IpHost(options, device, logs.CreateLogger($"stack.{name}"));
        var loop = new EventLoop(device, time, logs.CreateLogger($"stack.{name}.loop"));
        var instance = new StackInstance(name, device, host, loop);
        loop.Start(host);
        return instance;
    }

    /// <summary>Runs <paramref name="work"/> on the loop and returns its result.</summary>
    public Task<T> InvokeAsync<T>(Func<IpHost, Instant, T> work) => Loop.InvokeAsync(now => work(Host, now));

    public void Dispose() => Loop.Dispose();
}

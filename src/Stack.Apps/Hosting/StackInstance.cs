using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stack.IP;
using Stack.Link.Devices;
using Stack.Link.Loop;
using Stack.Link.Time;
using Stack.Udp;

namespace Stack.Apps.Hosting;

/// <summary>
/// A running stack: one link device, the event loop that owns it, and the protocol layers on top. Everything an
/// application does to the stack goes through <see cref="Loop"/>.
/// </summary>
public sealed class StackInstance : IDisposable
{
    private StackInstance(string name, ILinkDevice device, IpHost host, UdpLayer udp, EventLoop loop)
    {
        Name = name;
        Device = device;
        Host = host;
        Udp = udp;
        Loop = loop;
    }

    public string Name { get; }
    public ILinkDevice Device { get; }
    public IpHost Host { get; }

    /// <summary>The UDP layer; touched only on <see cref="Loop"/> (the socket API does that for applications).</summary>
    public UdpLayer Udp { get; }
    public EventLoop Loop { get; }

    /// <summary>Builds the layers on <paramref name="device"/> and starts the loop.</summary>
    public static StackInstance Start(string name, ILinkDevice device, IpHostOptions options,
        TimeProvider? time = null, ILoggerFactory? logs = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        logs ??= NullLoggerFactory.Instance;
        var host = new IpHost(options, device, logs.CreateLogger($"stack.{name}"));
        var udp = UdpLayer.Attach(host, options.Random, logs.CreateLogger($"stack.{name}.udp"));
        var loop = new EventLoop(device, time, logs.CreateLogger($"stack.{name}.loop"));
        var instance = new StackInstance(name, device, host, udp, loop);
        loop.Start(host);
        return instance;
    }

    /// <summary>Runs <paramref name="work"/> on the loop and returns its result.</summary>
    public Task<T> InvokeAsync<T>(Func<IpHost, Instant, T> work) => Loop.InvokeAsync(now => work(Host, now));

    public void Dispose() => Loop.Dispose();
}

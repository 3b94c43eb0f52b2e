using Microsoft.Extensions.Logging;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.Apps.Diagnostics;

/// <summary>The `stack` command's and the services' log messages (event ids 6000–6099; docs/metrics.md lists every id of the stack).</summary>
internal static partial class AppLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "stack up on {Tap}: mac {Mac}, {Addresses}, mtu {Mtu}")]
    public static partial void StackUp(ILogger log, string tap, MacAddress mac, string addresses, int mtu);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "services on UDP: {Services}")]
    public static partial void UdpServices(ILogger log, string services);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "services on TCP: {Services}")]
    public static partial void TcpServices(ILogger log, string services);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "ASP.NET Core on TCP: {Services}")]
    public static partial void WebServices(ILogger log, string services);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "shutting down")]
    public static partial void ShuttingDown(ILogger log);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "rejected {Layer}/{Reason}: {Count}")]
    public static partial void RejectedTotal(ILogger log, Layer layer, RejectReason reason, long count);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Information, Message = "https certificate {Subject}, SHA-256 fingerprint {Fingerprint}")]
    public static partial void Certificate(ILogger log, string subject, string fingerprint);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Information, Message = "ASP.NET Core on the host's sockets: http {Port}")]
    public static partial void WebKernel(ILogger log, int port);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Information, Message = "{Line}")]
    public static partial void AutoconfChanged(ILogger log, string line);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Debug, Message = "{Service}: {Error}")]
    public static partial void ServiceError(ILogger log, Exception exception, string service, System.Net.Sockets.SocketError error);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "a stack named {Name} is running already; this one is {Other} (stack ss --name {Other})")]
    public static partial void ControlRenamed(ILogger log, string name, string other);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Warning, Message = "no control socket, so stack ss and stack nstat cannot reach this stack: {Why}")]
    public static partial void NoControlSocket(ILogger log, string why);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Information, Message = "{Queues} queues, an event loop on each; DHCP and IPv6 autoconfiguration on the first (docs/multiqueue.md)")]
    public static partial void Queues(ILogger log, int queues);
}

using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Stack.Sockets.Hosting;

namespace Stack.AspNetCore;

/// <summary><c>UseStackTransport</c>: ASP.NET Core served on a stack instead of the host's sockets.</summary>
public static class StackWebHostExtensions
{
    /// <summary>
    /// Kestrel listens on <paramref name="stack"/>: its endpoints (<c>Listen(IPAddress.Any, 80)</c>, <c>ListenAnyIP(443, o => o.UseHttps())</c>)
    /// become listening stack sockets. On a <c>WebApplicationBuilder</c>: <c>builder.WebHost.UseStackTransport(stack)</c>.
    /// </summary>
    public static IWebHostBuilder UseStackTransport(this IWebHostBuilder builder, StackInstance stack, Action<StackTransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(stack);
        var options = new StackTransportOptions();
        configure?.Invoke(options);
        return builder.ConfigureServices(services => services.AddSingleton<IConnectionListenerFactory>(new StackTransportFactory(stack, options)));
    }
}

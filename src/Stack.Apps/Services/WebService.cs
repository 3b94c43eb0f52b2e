using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Stack.AspNetCore;
using Stack.Sockets.Hosting;
using Stack.Apps.Diagnostics;

namespace Stack.Apps.Services;

/// <summary>
/// `stack serve --services http,https`: ASP.NET Core on the stack (Kestrel over <see cref="StackTransportFactory"/>),
/// on TCP 80 and 443 of every address. <c>GET /</c> answers a small page about the connection; <c>POST /upload</c>
/// answers the SHA-256 of the body in hex. HTTPS uses the certificate given, or one made at start for the stack's
/// addresses (self-signed; its fingerprint is logged so a client can pin it).
/// </summary>
public sealed class WebService : IAsyncDisposable
{
    public const string Names = "http,https";
    public const int HttpPort = 80;
    public const int HttpsPort = 443;

    private readonly WebApplication _app;
    private readonly X509Certificate2? _certificate;

    private WebService(WebApplication app, X509Certificate2? certificate)
    {
        _app = app;
        _certificate = certificate;
    }

    /// <summary>
    /// Starts the app for <paramref name="names"/> (http, https, or both) on <paramref name="stack"/>, or, with
    /// none, on Kestrel's own sockets (the host's TCP: the comparison bench/http-bench.sh makes); the listeners are
    /// up when it returns. <paramref name="httpPort"/> and <paramref name="httpsPort"/> default to 80 and 443.
    /// </summary>
    public static async Task<WebService> StartAsync(StackInstance? stack, IReadOnlyCollection<string> names, string? certificateFile,
        ILoggerFactory logs, int httpPort = HttpPort, int httpsPort = HttpsPort, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        var log = logs.CreateLogger("stack.web");
        X509Certificate2? certificate = null;
        if (names.Contains("https"))
        {
            certificate = certificateFile is not null ? LoadCertificate(certificateFile)
                : MakeCertificate(stack?.Name ?? "kernel", stack?.Host.Addresses.Select(a => a.Address.ToIPAddress()) ?? []);
            AppLog.Certificate(log, certificate.Subject, certificate.GetCertHashString(HashAlgorithmName.SHA256));
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (stack is not null) builder.WebHost.UseStackTransport(stack);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            if (names.Contains("http")) kestrel.ListenAnyIP(httpPort);
            if (certificate is not null) kestrel.ListenAnyIP(httpsPort, o => o.UseHttps(certificate));
        });
        var app = builder.Build();
        app.MapGet("/", (Delegate)Page);
        app.MapPost("/upload", (Delegate)Upload);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            certificate?.Dispose();
            throw;
        }
        return new WebService(app, certificate);
    }

    private static string Page(HttpContext context)
    {
        var c = context.Connection;
        return $"""
            <!doctype html>
            <title>Stack</title>
            <h1>ASP.NET Core on Stack</h1>
            <p>This page came over a userspace TCP/IP stack: {context.Request.Protocol}{(context.Request.IsHttps ? " over TLS" : "")},
            from {c.RemoteIpAddress} port {c.RemotePort} to {c.LocalIpAddress} port {c.LocalPort}.</p>
            <p>POST a body to /upload for its SHA-256.</p>

            """;
    }

    private static async Task<string> Upload(HttpContext context)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
            sha.AppendData(buffer, 0, n);
        return Convert.ToHexStringLower(sha.GetHashAndReset()) + "\n";
    }

    /// <summary>A PEM file holding the certificate and its key, or a PKCS#12 file without a password.</summary>
    private static X509Certificate2 LoadCertificate(string path)
    {
        var text = File.ReadAllText(path);
        return text.Contains("-----BEGIN", StringComparison.Ordinal)
            ? X509Certificate2.CreateFromPem(text, text)
            : X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
    }

    /// <summary>Self-signed, ECDSA P-256, valid for a year, with the server's addresses as subject alternative names.</summary>
    private static X509Certificate2 MakeCertificate(string name, IEnumerable<IPAddress> addresses)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=stack {name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var a in addresses) names.AddIpAddress(a);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>Stops gracefully: Kestrel finishes the requests in flight and closes its connections with a FIN.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _certificate?.Dispose();
    }
}

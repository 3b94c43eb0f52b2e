using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Stack.IP.Routing;
using Stack.Link.Wire;
using Stack.Sockets.Hosting;
using Stack.Sockets.Http;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// HttpClient on the stack (tap0, 192.0.2.2 / 2001:db8::2) against an HTTP and an HTTPS server in python3 on the
/// kernel host (192.0.2.1 / 2001:db8::1): 16 MiB each way with matching hashes, connection reuse, and TLS with a
/// certificate made by the test.
/// </summary>
public sealed class HttpInteropTests(ITestOutputHelper output)
{
    private const int FileBytes = 16 << 20;

    private const string ServerScript = """
        import hashlib, http.server, socket, ssl, sys, threading
        host, port, tls_port, path, cert, key = sys.argv[1:7]
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def answer(self, body):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                if self.path == "/file":
                    with open(path, "rb") as f: self.answer(f.read())
                else:
                    self.answer(str(self.client_address[1]).encode())
            def do_POST(self):
                left, digest = int(self.headers["Content-Length"]), hashlib.sha256()
                while left > 0:
                    chunk = self.rfile.read(min(left, 1 << 16))
                    if not chunk: break
                    digest.update(chunk); left -= len(chunk)
                self.answer(digest.hexdigest().encode())
        class Server(http.server.ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        plain, secure = Server((host, int(port)), Handler), Server((host, int(tls_port)), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        secure.socket = context.wrap_socket(secure.socket, server_side=True)
        for s in (plain, secure): threading.Thread(target=s.serve_forever, daemon=True).start()
        print("ready", flush=True)
        threading.Event().wait()
        """;

    [SkippableTheory]
    [InlineData("192.0.2.1")]
    [InlineData("2001:db8::1")]
    public async Task HttpClient_on_the_stack_moves_16_MiB_each_way_reuses_its_connection_and_speaks_TLS(string kernel)
    {
        TapRequirement.Check("python3");
        using var ns = TestNamespace.Create();
        var dir = Directory.CreateTempSubdirectory("stack-http-").FullName;
        try
        {
            var file = Path.Combine(dir, "file");
            var content = new byte[FileBytes];
            new Random(16).NextBytes(content);
            await File.WriteAllBytesAsync(file, content);
            using var certificate = MakeCertificate(kernel);
            await File.WriteAllTextAsync(Path.Combine(dir, "cert.pem"), certificate.ExportCertificatePem());
            using (var key = certificate.GetRSAPrivateKey()!)
                await File.WriteAllTextAsync(Path.Combine(dir, "key.pem"), key.ExportPkcs8PrivateKeyPem());
            var script = Path.Combine(dir, "server.py");
            await File.WriteAllTextAsync(script, ServerScript);
            using var server = ns.StartBackground($"timeout 120 python3 {script} {kernel} 8080 8443 {file} {dir}/cert.pem {dir}/key.pem");
            server.WaitForOutput("ready");

            using var stack = StackInstance.Start(new StackOptions
            {
                Link = StackLink.Tap("tap0", netns: ns.Name),
                Addresses = [InterfaceAddress.Parse("192.0.2.2/24"), InterfaceAddress.Parse("2001:db8::2/64")],
                Mac = new MacAddress(0x0200_5354_0002UL),
            });
            ns.WaitUntilForwarding("tap0");
            var host = kernel.Contains(':', StringComparison.Ordinal) ? $"[{kernel}]" : kernel;

            var handler = stack.CreateHttpMessageHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, errors) =>
                presented is not null && presented.GetCertHashString() == certificate.GetCertHashString();
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };

            var got = await http.GetByteArrayAsync($"http://{host}:8080/file");
            Assert.Equal(SHA256.HashData(content), SHA256.HashData(got));
            using (var posted = await http.PostAsync($"http://{host}:8080/sha256", new ByteArrayContent(content)))
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), await posted.Content.ReadAsStringAsync());

            // The server answers with the client's port: 100 requests in turn, one connection (the one above).
            var ports = new HashSet<string>();
            for (int i = 0; i < 100; i++) ports.Add(await http.GetStringAsync($"http://{host}:8080/port"));
            output.WriteLine($"client ports over 100 requests: {string.Join(", ", ports)}");
            Assert.Single(ports);

            var secure = await http.GetByteArrayAsync($"https://{host}:8443/file");
            Assert.Equal(SHA256.HashData(content), SHA256.HashData(secure));
            using (var posted = await http.PostAsync($"https://{host}:8443/sha256", new ByteArrayContent(content)))
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), await posted.Content.ReadAsStringAsync());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A self-signed certificate for the kernel host's address, as the server presents it.</summary>
    private static X509Certificate2 MakeCertificate(string address)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={address}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Parse(address));
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}

using System.Security.Cryptography;
using Stack.Tests.Support;
using Xunit.Abstractions;

namespace Stack.Tests.Interop;

/// <summary>
/// `stack serve --services http,https`: ASP.NET Core on the stack, fetched by the kernel's curl in both families —
/// a page, a 16 MiB POST hashed by the app, two requests on one connection, and a graceful stop.
/// </summary>
public sealed class ServeWebInteropTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Curl_gets_pages_and_posts_16_MiB_to_ASP_NET_Core_on_the_stack_over_http_and_https()
    {
        TapRequirement.Check("curl");
        using var ns = TestNamespace.Create(taps: 1);
        var body = Path.Combine(Path.GetTempPath(), $"stack-web-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        var stack = Path.Combine(AppContext.BaseDirectory, "stack.dll");
        try
        {
            var content = new byte[16 << 20];
            new Random(5).NextBytes(content);
            File.WriteAllBytes(body, content);
            var sha = Convert.ToHexStringLower(SHA256.HashData(content));
            using var serve = ns.StartBackground(
                $"exec dotnet {stack} serve --tap tap0 --ip 192.0.2.2/24 --ip 2001:db8::2/64 --services echo,http,https");
            serve.WaitForError("ASP.NET Core on TCP", seconds: 30);

            foreach (var host in new[] { "192.0.2.2", "[2001:db8::2]" })
            {
                foreach (var scheme in new[] { "http", "https" })
                {
                    // -k: the certificate is the one serve made at start. Two URLs in one curl: one connection, reused.
                    var (code, text, err) = Exec(ns, $"curl -sS -k -v --max-time 30 {scheme}://{host}/ {scheme}://{host}/");
                    Assert.Equal(0, code);
                    Assert.Contains("ASP.NET Core on Stack", text, StringComparison.Ordinal);
                    Assert.Contains("Re-using existing connection", err, StringComparison.Ordinal);
                    if (scheme == "https") Assert.Contains("over TLS", text, StringComparison.Ordinal);

                    (code, text, _) = Exec(ns, $"curl -sS -k --max-time 60 --data-binary @{body} {scheme}://{host}/upload");
                    Assert.Equal(0, code);
                    Assert.Equal(sha, text.Trim());
                }
            }

            serve.Signal("TERM");
            Assert.True(serve.WaitForExit(TimeSpan.FromSeconds(20)), "stack serve did not stop on SIGTERM");
            output.WriteLine(serve.StdErr);
            Assert.Equal(0, serve.ExitCode);
        }
        finally
        {
            File.Delete(body);
        }
    }

    private (int Code, string Out, string Err) Exec(TestNamespace ns, string command)
    {
        var (code, stdout, stderr) = ns.Exec(command, TimeSpan.FromSeconds(90));
        output.WriteLine($"$ {command}  (exit {code})\n{(stdout.Length > 2000 ? stdout[..2000] : stdout)}");
        return (code, stdout, stderr);
    }
}

using System.Text;
using Microsoft.Extensions.Time.Testing;
using Stack.Apps;
using Stack.Apps.Services;

namespace Stack.Tests.Services;

public sealed class ServiceTests
{
    private static string Answer(IDatagramService service, string request)
    {
        var reply = new byte[ushort.MaxValue];
        int n = service.Answer(Encoding.ASCII.GetBytes(request), reply);
        return n < 0 ? "(none)" : Encoding.ASCII.GetString(reply, 0, n);
    }

    [Fact]
    public void Daytime_answers_any_datagram_with_a_ctime_line()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 15, 4, 5, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        Assert.Equal("Wed Nov 25 15:04:05 2026\r\n", Answer(new DaytimeService(time), ""));
        Assert.Equal("Thu Nov  5 09:00:00 2026\r\n", DaytimeService.Format(new DateTimeOffset(2026, 11, 5, 9, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Daytime_line_is_made_once_a_second_and_changes_with_the_second()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 15, 4, 5, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        var daytime = new DaytimeService(time);
        var first = daytime.CurrentLine();
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.True(first.Equals(daytime.CurrentLine()), "the same second should reuse the same bytes");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("Wed Nov 25 15:04:06 2026\r\n", Encoding.ASCII.GetString(daytime.CurrentLine().Span));
        Assert.Equal("Wed Nov 25 15:04:05 2026\r\n", Encoding.ASCII.GetString(first.Span));
        time.SetLocalTimeZone(TimeZoneInfo.CreateCustomTimeZone("UTC+2", TimeSpan.FromHours(2), "UTC+2", "UTC+2"));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("Wed Nov 25 17:04:07 2026\r\n", Answer(daytime, ""));
    }

    [Fact]
    public void Echo_returns_the_datagram_and_discard_nothing()
    {
        Assert.Equal("hello\n", Answer(new EchoService(), "hello\n"));
        Assert.Equal("", Answer(new EchoService(), ""));
        Assert.Equal("(none)", Answer(new DiscardService(), "hello"));
    }

    [Fact]
    public void Chargen_sends_0_to_512_characters_of_the_rotating_72_character_pattern()
    {
        var chargen = new ChargenService(new Random(1));
        var lengths = Enumerable.Range(0, 300).Select(_ => Answer(chargen, "x").Length).ToList();
        Assert.All(lengths, n => Assert.InRange(n, 0, 512));
        Assert.True(lengths.Distinct().Count() > 100, "lengths should vary");

        var buffer = new byte[74 * 3];
        ChargenService.Fill(buffer, 0);
        var lines = Encoding.ASCII.GetString(buffer).Split("\r\n");
        Assert.Equal("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh", lines[1]);
        Assert.Equal(72, lines[0].Length);
        Assert.StartsWith(" !\"#", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("\"#$", lines[2], StringComparison.Ordinal);

        ChargenService.Fill(buffer, 94); // the rotation wraps from '~' back to ' '
        Assert.StartsWith("~ !", Encoding.ASCII.GetString(buffer), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("daytime,echo,discard,chargen", 4)]
    [InlineData(" echo , daytime ", 2)]
    [InlineData("echo,echo", 1)]
    [InlineData("none", 0)]
    public void Service_lists_parse(string text, int count)
    {
        Assert.True(ServiceHost.TryParseList(text, out var names, out _));
        Assert.Equal(count, names.Count);
    }

    [Fact]
    public void Unknown_service_is_refused_with_the_known_names()
    {
        Assert.False(ServiceHost.TryParseList("echo,qotd", out _, out var error));
        Assert.Contains("qotd", error, StringComparison.Ordinal);
        Assert.Contains("daytime,echo,discard,chargen", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("daytime 192.0.2.1 --tap tap0", "--ip is required")]
    [InlineData("echo --tap tap0 --ip 192.0.2.3/24", "HOST is required")]
    [InlineData("daytime 192.0.2.1 --port 70000 --tap tap0 --ip 192.0.2.3/24", "--port must be a number")]
    [InlineData("echo --udp --tap tap0 --ip 192.0.2.3/24", "HOST is required")]
    [InlineData("echo example.org --udp --tap tap0 --ip 192.0.2.3/24", "HOST must be an IPv4 or IPv6 address")]
    [InlineData("daytime 192.0.2.1 --udp --port 0 --tap tap0 --ip 192.0.2.3/24", "--port must be a number")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --services echo,qotd", "--services: unknown service 'qotd'")]
    public void Bad_client_and_serve_arguments_print_one_line_and_exit_2(string args, string message)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = Cli.Run(args.Split(' '), TextReader.Null, stdout, stderr);

        Assert.Equal(2, code);
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(message, lines[0], StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
    }
}

using Stack.Apps;

namespace Stack.Tests.Dns;

/// <summary>`stack resolve`'s arguments: anything wrong is one line on stderr and exit 2, before a stack is brought up.</summary>
public sealed class ResolveCommandTests
{
    [Theory]
    [InlineData("resolve", "www.example", "--tap", "tap0", "--ip", "192.0.2.2/24")]
    [InlineData("resolve", "www.example", "--server", "dns.example", "--tap", "tap0", "--ip", "192.0.2.2/24")]
    [InlineData("resolve", "www.example", "-4", "-6", "--server", "192.0.2.1", "--tap", "tap0", "--ip", "192.0.2.2/24")]
    [InlineData("resolve", "--server", "192.0.2.1", "--tap", "tap0", "--ip", "192.0.2.2/24")]
    [InlineData("resolve", "a..example", "--server", "192.0.2.1", "--tap", "tap0", "--ip", "192.0.2.2/24")]
    [InlineData("resolve", "www.example", "--server", "192.0.2.1", "--timeout", "0", "--tap", "tap0", "--ip", "192.0.2.2/24")]
    [InlineData("resolve", "www.example", "extra", "--server", "192.0.2.1", "--tap", "tap0", "--ip", "192.0.2.2/24")]
    public void Bad_arguments_print_one_line_and_exit_2(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(2, Cli.Run(args, stdout, stderr));
        Assert.Equal("", stdout.ToString());
        var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("stack: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_lists_the_command()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, Cli.Run(["--help"], stdout, new StringWriter()));
        Assert.Contains("stack resolve NAME --server ADDR", stdout.ToString(), StringComparison.Ordinal);
    }
}

namespace Stack.Apps;

public static class Program
{
    public static int Main(string[] args) => Cli.Run(args, Console.In, Console.Out, Console.Error);
}

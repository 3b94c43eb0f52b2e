using System.Runtime.InteropServices;

namespace Stack.Apps.Commands;

/// <summary>
/// SIGINT and SIGTERM for a command that runs until told to stop: the signal is taken (the process is not
/// killed) and <see cref="Wait"/> returns, so the command shuts down in order.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly ManualResetEventSlim _stopping = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    public StopSignal()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    /// <summary>Blocks until SIGINT or SIGTERM.</summary>
    public void Wait() => _stopping.Wait();

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stopping.Set();
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _stopping.Dispose();
    }
}

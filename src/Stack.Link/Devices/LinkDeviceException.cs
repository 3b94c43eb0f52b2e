namespace Stack.Link.Devices;

/// <summary>A device could not be opened or used. The message says what to do; <see cref="Errno"/> is the OS code, 0 if none.</summary>
public sealed class LinkDeviceException : IOException
{
    public LinkDeviceException() { }

    public LinkDeviceException(string message) : base(message) { }

    public LinkDeviceException(string message, Exception inner) : base(message, inner) { }

    public LinkDeviceException(string message, int errno) : base(message) => Errno = errno;

    public int Errno { get; }
}

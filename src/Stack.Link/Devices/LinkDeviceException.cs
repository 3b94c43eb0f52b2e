namespace Stack.Link.Devices;

/// <summary>A device could not be opened or used. The message says what to do; <see cref="Errno"/> is the OS code, 0 if none.</summary>
public sealed class LinkDeviceException : IOException
{
    public LinkDeviceException() { }

    public LinkDeviceException(string message) : base(message) { }

    public LinkDeviceException(string message, Exception inner) : base(message, inner) { }

    public LinkDeviceException(string message, int errno) : base(message) => Errno = errno;

    public int Errno { get; }

    /// <summary>The device named does not exist (and the caller did not ask for one to be made): a usage error more than the machine's.</summary>
    public bool NoSuchDevice { get; init; }
}

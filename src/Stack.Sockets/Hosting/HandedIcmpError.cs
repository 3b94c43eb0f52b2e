using Stack.IP;
using Stack.IP.Wire;

namespace Stack.Sockets.Hosting;

/// <summary>
/// An <see cref="IcmpError"/> (a ref struct over the received frame) copied so it can cross to another shard's loop.
/// </summary>
internal sealed class HandedIcmpError(in IcmpError error)
{
    private readonly IcmpErrorKind _kind = error.Kind;
    private readonly IpAddress _reporter = error.Reporter;
    private readonly IpAddress _source = error.Source;
    private readonly IpAddress _destination = error.Destination;
    private readonly IpProtocol _protocol = error.Protocol;
    private readonly byte[] _quoted = error.QuotedTransport.ToArray();
    private readonly int _mtu = error.Mtu;

    public IcmpError ToError() => new(_kind, _reporter, _source, _destination, _protocol, _quoted, _mtu);
}

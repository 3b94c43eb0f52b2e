using Stack.IP;

namespace Stack.Tcp;

/// <summary>An address and a port: one end of a connection.</summary>
public readonly record struct TcpEndPoint(IpAddress Address, ushort Port)
{
    public override string ToString() => Address.IsIpv6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}

/// <summary>The demultiplexing key of a connection (RFC 9293 §3.3.1: a connection is named by its socket pair).</summary>
internal readonly record struct FourTuple(IpAddress LocalAddress, ushort LocalPort, IpAddress RemoteAddress, ushort RemotePort)
{
    public override string ToString() =>
        $"{new TcpEndPoint(LocalAddress, LocalPort)} <-> {new TcpEndPoint(RemoteAddress, RemotePort)}";
}

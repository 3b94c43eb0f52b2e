using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Stack.Sockets;
using Stack.Sockets.Dns.Wire;
using Stack.Sockets.Hosting;

namespace Stack.Tests.Dns;

/// <summary>
/// A tiny recursive server for the resolver's tests, on a stack's own sockets: UDP and TCP port 53, answering
/// from <see cref="Zone"/> (CNAMEs followed, NXDOMAIN and NODATA with an SOA). Hooks let a test drop queries,
/// send strays first, truncate UDP answers, or answer anything it likes.
/// </summary>
internal sealed class FakeDnsServer : IDisposable
{
    public static readonly DnsSoa Soa = new("ns.example", "hostmaster.example", 1, 3600, 600, 86400, 30);

    private readonly StackSocket _udp;
    private readonly StackSocket _stray;
    private readonly StackSocket _tcp;
    private readonly Lock _gate = new();
    private readonly List<(DnsMessage Query, IPEndPoint From)> _udpQueries = [];
    private readonly List<DnsMessage> _tcpQueries = [];
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Serves UDP and TCP <paramref name="port"/>; strays leave from <paramref name="port"/> + 1000.</summary>
    public FakeDnsServer(StackInstance stack, AddressFamily family = AddressFamily.InterNetwork, int port = 53)
    {
        var any = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        _udp = StackSocket.Create(stack, family, SocketType.Dgram);
        _udp.Bind(new IPEndPoint(any, port));
        _stray = StackSocket.Create(stack, family, SocketType.Dgram);
        _stray.Bind(new IPEndPoint(any, port + 1000));
        _tcp = StackSocket.Create(stack, family, SocketType.Stream);
        _tcp.Bind(new IPEndPoint(any, port));
        _tcp.Listen();
        _ = Task.Run(ServeUdpAsync);
        _ = Task.Run(ServeTcpAsync);
    }

    /// <summary>Records by name (case-insensitive); a name with an empty list exists without data.</summary>
    public Dictionary<string, List<DnsRecord>> Zone { get; } = new(DnsName.Comparer);

    /// <summary>How many UDP queries still go unanswered (a lost query or answer).</summary>
    public int DropUdp { get; set; }

    /// <summary>UDP answers come with TC set and no records, so the resolver must ask over TCP.</summary>
    public bool TruncateUdp { get; set; }

    /// <summary>The response code every answer carries instead of the zone's (SERVFAIL, REFUSED...).</summary>
    public DnsResponseCode? Fail { get; set; }

    /// <summary>Runs before a UDP query is answered: a test sends its forgeries from here.</summary>
    public Action<FakeDnsServer, DnsMessage, IPEndPoint>? BeforeAnswer { get; set; }

    public IReadOnlyList<(DnsMessage Query, IPEndPoint From)> UdpQueries
    {
        get
        {
            lock (_gate) return [.. _udpQueries];
        }
    }

    public IReadOnlyList<DnsMessage> TcpQueries
    {
        get
        {
            lock (_gate) return [.. _tcpQueries];
        }
    }

    public void Add(params DnsRecord[] records)
    {
        foreach (var r in records)
        {
            if (!Zone.TryGetValue(r.Name, out var list)) Zone[r.Name] = list = [];
            list.Add(r);
        }
    }

    /// <summary>Sends <paramref name="message"/> from the server's port, or from the stray one when <paramref name="stray"/>.</summary>
    public void Send(DnsMessage message, IPEndPoint to, bool stray = false) => Send(DnsWriter.Write(message), to, stray);

    public void Send(byte[] datagram, IPEndPoint to, bool stray = false) => (stray ? _stray : _udp).SendTo(datagram, to);

    /// <summary>Whether CNAMEs are followed inside the zone (as a recursive server does) or only the first is given.</summary>
    public bool FollowCnames { get; set; } = true;

    /// <summary>What the zone says to <paramref name="query"/>.</summary>
    public DnsMessage Answer(DnsMessage query)
    {
        var question = query.Questions[0];
        var header = new DnsHeader(query.Header.Id, IsResponse: true, RecursionDesired: query.Header.RecursionDesired, RecursionAvailable: true);
        if (Fail is { } code) return new DnsMessage(header with { ResponseCode = code }, query.Questions, [], [], []);
        var answers = new List<DnsRecord>();
        var name = question.Name;
        for (int hop = 0; hop < 20 && Zone.TryGetValue(name, out var records); hop++)
        {
            if (records.FirstOrDefault(r => r.Type == DnsRecordType.CNAME) is { } cname)
            {
                answers.Add(cname);
                name = cname.Target!;
                if (!FollowCnames) return new DnsMessage(header, query.Questions, answers, [], []);
                continue;
            }
            answers.AddRange(records.Where(r => r.Type == question.Type));
            break;
        }
        if (answers.Any(r => r.Type == question.Type)) return new DnsMessage(header, query.Questions, answers, [], []);
        var negative = Zone.ContainsKey(name) ? DnsResponseCode.NoError : DnsResponseCode.NameError;
        return new DnsMessage(header with { ResponseCode = negative }, query.Questions, answers, [DnsRecord.ForSoa("example", 3600, Soa)], []);
    }

    private async Task ServeUdpAsync()
    {
        var buffer = new byte[4096];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or StackSocketException or ObjectDisposedException)
            {
                return;
            }
            if (DnsMessage.TryParse(buffer.AsSpan(0, received.ReceivedBytes), out var query) != DnsRejectReason.None) continue;
            var from = (IPEndPoint)received.RemoteEndPoint;
            bool drop;
            lock (_gate)
            {
                _udpQueries.Add((query!, from));
                drop = DropUdp > 0;
                if (drop) DropUdp--;
            }
            if (drop) continue;
            BeforeAnswer?.Invoke(this, query!, from);
            var answer = Answer(query!);
            if (TruncateUdp) answer = answer with { Header = answer.Header with { Truncated = true }, Answers = [], Authorities = [] };
            await _udp.SendToAsync(DnsWriter.Write(answer), from);
        }
    }

    private async Task ServeTcpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            StackSocket connection;
            try
            {
                connection = await _tcp.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or StackSocketException or ObjectDisposedException)
            {
                return;
            }
            using (connection)
            {
                var prefix = new byte[2];
                if (!await ReadAsync(connection, prefix)) continue;
                var bytes = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                if (!await ReadAsync(connection, bytes) || DnsMessage.TryParse(bytes, out var query) != DnsRejectReason.None) continue;
                lock (_gate) _tcpQueries.Add(query!);
                var answer = DnsWriter.Write(Answer(query!));
                await connection.SendAsync((byte[])[(byte)(answer.Length >> 8), (byte)answer.Length, .. answer]);
            }
        }
    }

    private async Task<bool> ReadAsync(StackSocket socket, Memory<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int n = await socket.ReceiveAsync(buffer, _stop.Token);
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _stray.Dispose();
        _tcp.Dispose();
        _stop.Dispose();
    }
}

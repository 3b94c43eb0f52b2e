using Stack.IP.Wire;
using Stack.Link.Time;

namespace Stack.IP.Multicast;

/// <summary>
/// The host side of multicast group membership, shared by MLDv2 (RFC 3810) and IGMPv3 (RFC 3376), which RFC 3810
/// derives from IGMPv3 almost line by line; <see cref="Mld"/> and <see cref="Igmp"/> add the wire and the family.
/// Sans-I/O, on the event loop: fed joins and leaves, queries and the time, it sends reports.
/// </summary>
/// <remarks>
/// <para>
/// Every group is joined for any source (the EXCLUDE mode with no sources; no source filters). A join or leave is
/// a state change: it is reported at once (at the next timer run) with a CHANGE_TO_EXCLUDE or CHANGE_TO_INCLUDE
/// record, and again [Robustness] - 1 times at random intervals up to the Unsolicited Report Interval (§6.1).
/// Queries are answered after a random delay up to their Maximum Response Delay (§6.2, §6.3): a general query by
/// one report of every group (MODE_IS_EXCLUDE), a group-specific query by that group's record, a
/// group-and-source-specific one by MODE_IS_INCLUDE of the sources asked about.
/// </para>
/// <para>
/// Driving it: <see cref="Join"/> and <see cref="Leave"/> (reference-counted), the subclass's OnMessage for what
/// arrives, <see cref="OnTimer"/> when <see cref="NextDeadline"/> has come. A query of an older version puts the
/// host in that version's compatibility mode (RFC 3810 §8, RFC 3376 §7) until no such querier was heard for the
/// Older Version Querier Present Timeout.
/// </para>
/// </remarks>
public abstract class MembershipProtocol : IHostClient
{
    private readonly Dictionary<IpAddress, GroupState> _groups = [];
    private readonly List<MembershipRecord> _records = [];
    private readonly MembershipOptions _options;
    private readonly Random _random;
    private readonly Instant[] _olderQuerierUntil;
    private readonly byte[] _scratch;
    private Instant _generalResponseAt = Instant.Never;
    private Instant _changeAt = Instant.Never;
    private bool _started;
    private int _robustness;

    private protected MembershipProtocol(MembershipOptions options, Random random, int latestVersion, int mtu)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _random = random;
        _robustness = Math.Max(1, options.Robustness);
        LatestVersion = latestVersion;
        _olderQuerierUntil = new Instant[latestVersion];
        _scratch = new byte[mtu];
    }

    /// <summary>The protocol's own version: 2 for MLD, 3 for IGMP.</summary>
    public int LatestVersion { get; }

    /// <summary>Queries accepted (counted before they are acted on).</summary>
    public long QueriesReceived { get; private set; }

    /// <summary>Reports (and MLDv1 dones, IGMPv2 leaves) sent.</summary>
    public long ReportsSent { get; private set; }

    /// <summary>The robustness variable in force: the options', or the last querier's QRV.</summary>
    public int Robustness => _robustness;

    /// <summary>The groups joined now, whether reported or not (all-nodes, all-hosts).</summary>
    public IReadOnlyList<IpAddress> Groups => [.. _groups.Where(g => g.Value.Users > 0).Select(g => g.Key)];

    public bool IsJoined(IpAddress group) => _groups.TryGetValue(group, out var g) && g.Users > 0;

    /// <summary>The version the host speaks at <paramref name="now"/>: the oldest querier's heard lately, else the latest.</summary>
    public int CompatibilityVersion(Instant now)
    {
        for (int v = 1; v < LatestVersion; v++)
            if (_olderQuerierUntil[v] > now) return v;
        return LatestVersion;
    }

    /// <summary>The size of the largest report, headers of the message only.</summary>
    private protected abstract int MaxReportLength { get; }

    /// <summary>The report type of the latest version (MLDv2 143, IGMPv3 0x22).</summary>
    private protected abstract byte ReportType { get; }

    /// <summary>RFC 3810 §6, RFC 3376 §5: groups that are joined but never reported.</summary>
    private protected abstract bool IsReported(IpAddress group);

    /// <summary>Whether <paramref name="version"/> has a message for leaving (IGMPv1 has none).</summary>
    private protected abstract bool HasLeaveMessage(int version);

    /// <summary>Sends a report of the latest version; <paramref name="message"/> has its checksum field zero.</summary>
    private protected abstract void SendReport(Span<byte> message, Instant now);

    /// <summary>Sends an older version's report for <paramref name="group"/>, or its leave (done).</summary>
    private protected abstract void SendOlderMessage(IpAddress group, int version, bool leave, Instant now);

    /// <summary>
    /// Adds a user of <paramref name="group"/>; true when it is the first (the link must then pass the group's
    /// frames). A first join is reported once the protocol has started.
    /// </summary>
    public bool Join(IpAddress group, Instant now)
    {
        if (!_groups.TryGetValue(group, out var g))
            _groups[group] = g = new GroupState { Reported = _options.SendReports && IsReported(group) };
        if (g.Users++ > 0) return false;
        if (g.Reported) ScheduleChange(g, MembershipRecordType.ChangeToExclude, now);
        return true;
    }

    /// <summary>Removes a user of <paramref name="group"/>; true when it was the last one (or none was left).</summary>
    public bool Leave(IpAddress group, Instant now)
    {
        if (!_groups.TryGetValue(group, out var g) || g.Users == 0) return false;
        if (--g.Users > 0) return false;
        g.RespondAt = Instant.Never;
        g.QueriedSources = null;
        if (g.Reported && _started) ScheduleChange(g, MembershipRecordType.ChangeToInclude, now);
        else _groups.Remove(group);
        return true;
    }

    /// <summary>Starts reporting: the groups joined so far are reported as state changes (unsolicited reports).</summary>
    public void Start(Instant now)
    {
        _started = true;
        foreach (var g in _groups.Values)
            if (g.Reported && g.ChangesLeft > 0) _changeAt = Instant.Min(_changeAt, now);
    }

    public Instant NextDeadline
    {
        get
        {
            var next = Instant.Min(_generalResponseAt, _changeAt);
            foreach (var g in _groups.Values) next = Instant.Min(next, g.RespondAt);
            return next;
        }
    }

    public void OnTimer(Instant now)
    {
        int version = CompatibilityVersion(now);
        if (_generalResponseAt <= now)
        {
            _generalResponseAt = Instant.Never;
            foreach (var (group, g) in _groups)
                if (g.Users > 0 && g.Reported) _records.Add(new(MembershipRecordType.ModeIsExclude, group));
        }
        foreach (var (group, g) in _groups)
        {
            if (g.RespondAt > now) continue;
            g.RespondAt = Instant.Never;
            if (g.Users > 0 && version < LatestVersion) Send(group, version, leave: false, now);
            else if (g.Users > 0)
                // §6.3: for EXCLUDE({}) the answer to a group-and-source query is IS_IN of the sources asked about.
                _records.Add(g.QueriedSources is { } sources
                    ? new(MembershipRecordType.ModeIsInclude, group, sources)
                    : new(MembershipRecordType.ModeIsExclude, group));
            g.QueriedSources = null;
        }
        Flush(now);
        if (_changeAt <= now) SendChanges(version, now);
    }

    /// <summary>A query the subclass checked (RFC 3810 §6.2, RFC 3376 §5.2).</summary>
    private protected void OnQuery(in MembershipQuery query, Instant now)
    {
        QueriesReceived++;
        if (!_options.SendReports) return;
        if (query.Version < LatestVersion)
        {
            bool wasLatest = CompatibilityVersion(now) == LatestVersion;
            _olderQuerierUntil[query.Version] = now + (_robustness * _options.QueryInterval + _options.QueryResponseInterval);
            // RFC 3810 §8.2.1, RFC 3376 §7.2.1: a change of compatibility mode cancels what was pending.
            if (wasLatest) CancelPending();
        }
        else if (query.Robustness > 0)
        {
            _robustness = query.Robustness; // Linux (mld_update_qrv, igmpv3 qrv): the querier's QRV is adopted.
        }
        if (CompatibilityVersion(now) < LatestVersion)
        {
            // RFC 2710 §4, RFC 2236 §3: a timer per group, moved only to make it sooner.
            foreach (var (group, g) in _groups)
                if (g.Users > 0 && g.Reported && (query.Group.IsUnspecified || query.Group == group))
                    g.RespondAt = Instant.Min(g.RespondAt, now + RandomDelay(query.MaxResponseDelay));
            return;
        }
        var at = now + RandomDelay(query.MaxResponseDelay);
        if (_generalResponseAt <= at) return; // rule 1: a general response that is sooner covers this query too
        if (query.Group.IsUnspecified)
        {
            _generalResponseAt = at; // rule 2
            return;
        }
        if (!_groups.TryGetValue(query.Group, out var state) || state.Users == 0 || !state.Reported) return;
        bool pending = state.RespondAt != Instant.Never;
        if (query.SourceCount == 0 || (pending && state.QueriedSources is null))
            state.QueriedSources = null; // rule 3: answer for the whole group
        else
            state.QueriedSources = AddSources(pending ? state.QueriedSources : null, query); // rule 4
        state.RespondAt = Instant.Min(state.RespondAt, at);
    }

    /// <summary>
    /// Another host's report in an older version's mode: ours for the same group is then not needed
    /// (RFC 2710 §4, RFC 2236 §3 report suppression). The latest versions do not suppress.
    /// </summary>
    private protected void OnReportHeard(IpAddress group, Instant now)
    {
        if (CompatibilityVersion(now) < LatestVersion && _groups.TryGetValue(group, out var g))
            g.RespondAt = Instant.Never;
    }

    /// <summary>
    /// The union of the sources asked about so far; null (answer for the whole group, which EXCLUDE({}) makes
    /// true) once it would not fit one report.
    /// </summary>
    private List<IpAddress>? AddSources(List<IpAddress>? sources, in MembershipQuery query)
    {
        int room = (MaxReportLength - MembershipReport.HeaderLength - MembershipReport.RecordHeaderLength) / query.AddressLength - 1;
        sources ??= [];
        for (int i = 0; i < query.SourceCount; i++)
        {
            var s = query.Source(i);
            if (sources.Contains(s)) continue;
            if (sources.Count == room) return null;
            sources.Add(s);
        }
        return sources;
    }

    private void ScheduleChange(GroupState g, MembershipRecordType change, Instant now)
    {
        g.Change = change;
        g.ChangesLeft = _robustness;
        if (_started) _changeAt = Instant.Min(_changeAt, now);
    }

    /// <summary>Sends the pending state changes and schedules their repetition (RFC 3810 §6.1, RFC 3376 §5.1).</summary>
    private void SendChanges(int version, Instant now)
    {
        _changeAt = Instant.Never;
        bool more = false;
        foreach (var (group, g) in _groups)
        {
            if (g.ChangesLeft == 0) continue;
            bool leave = g.Change == MembershipRecordType.ChangeToInclude;
            if (version == LatestVersion)
            {
                _records.Add(new(g.Change, group));
                g.ChangesLeft--;
            }
            else
            {
                // RFC 2710 §4, RFC 2236 §3: a report is repeated; a done or leave is sent once.
                if (!leave || HasLeaveMessage(version)) Send(group, version, leave, now);
                g.ChangesLeft = leave ? 0 : g.ChangesLeft - 1;
            }
            more |= g.ChangesLeft > 0;
        }
        Flush(now);
        RemoveLeft();
        if (more)
        {
            var interval = version == LatestVersion ? _options.UnsolicitedReportInterval : _options.OlderUnsolicitedReportInterval;
            _changeAt = now + RandomDelay(interval);
        }
    }

    private void CancelPending()
    {
        _generalResponseAt = Instant.Never;
        _changeAt = Instant.Never;
        foreach (var g in _groups.Values)
        {
            g.RespondAt = Instant.Never;
            g.QueriedSources = null;
            g.ChangesLeft = 0;
        }
        RemoveLeft();
    }

    private void RemoveLeft()
    {
        foreach (var (group, g) in _groups)
            if (g.Users == 0 && g.ChangesLeft == 0) _groups.Remove(group);
    }

    /// <summary>The records gathered so far, in as many reports as they need (RFC 3810 §5.2.15).</summary>
    private void Flush(Instant now)
    {
        int first = 0;
        while (first < _records.Count)
        {
            int length = MembershipReport.HeaderLength;
            int end = first;
            while (end < _records.Count && (end == first || length + _records[end].Length <= MaxReportLength))
                length += _records[end++].Length;
            int written = MembershipReport.Write(_scratch, ReportType, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_records)[first..end]);
            SendReport(_scratch.AsSpan(0, written), now);
            ReportsSent++;
            first = end;
        }
        _records.Clear();
    }

    private void Send(IpAddress group, int version, bool leave, Instant now)
    {
        SendOlderMessage(group, version, leave, now);
        ReportsSent++;
    }

    /// <summary>A delay chosen uniformly from [0, <paramref name="max"/>].</summary>
    private TimeSpan RandomDelay(TimeSpan max) =>
        max <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks(_random.NextInt64(max.Ticks + 1));

    private sealed class GroupState
    {
        public int Users;
        public bool Reported;
        public int ChangesLeft;
        public MembershipRecordType Change;
        public Instant RespondAt = Instant.Never;
        public List<IpAddress>? QueriedSources;
    }
}

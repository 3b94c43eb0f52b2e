using Stack.Tcp.Wire;

namespace Stack.Scripting;

/// <summary>
/// TCP timestamps between the script's clock and the stack's, as packetdrill maps them (run_packet.c): the stack
/// keeps its own TS clock (a random offset per connection), so the TS val a script writes on a <c>&gt;</c> line is
/// remembered with the value the stack sent, per connection; a <c>&lt;</c> line's TS ecr that names such a value
/// is sent as the stack's own. Any other TS ecr is moved by the offset between the connection's first pair when
/// the script asks for it (<c>--tcp_ts_ecr_scaled</c>); packetdrill refuses the rest, the runner sends them as
/// written.
/// </summary>
public sealed partial class ScriptRunner
{
    private sealed class TsValueMap
    {
        public readonly Dictionary<uint, uint> Live = [];
        public (uint Script, uint Live)? First;
    }

    private readonly Dictionary<(ushort Script, ushort Stack), TsValueMap> _tsValues = [];

    private TsValueMap TsValuesOfConnection()
    {
        var key = (_scriptPort, _stackPort);
        if (!_tsValues.TryGetValue(key, out var map)) _tsValues[key] = map = new TsValueMap();
        return map;
    }

    /// <summary>packetdrill's set_outbound_ts_val_mapping: a matched outbound segment's TS val, script and live.</summary>
    private void RememberTsVal(PacketEvent expected, ActualSegment sent)
    {
        if (expected.Options.OfType<ScriptTcpOption.Timestamp>().FirstOrDefault() is not { Value.IsExact: true } script
            || sent.Options.OfType<ScriptTcpOption.Timestamp>().FirstOrDefault() is not { } live)
        {
            return;
        }
        var map = TsValuesOfConnection();
        map.Live[script.Value.Value] = live.Value.Value;
        map.First ??= (script.Value.Value, live.Value.Value);
    }

    /// <summary>packetdrill's TS ecr remapping of an inbound segment that carries an ACK.</summary>
    private PacketEvent WithLiveTsEcr(PacketEvent p)
    {
        if ((p.Flags & TcpFlags.Ack) == 0
            || p.Options.OfType<ScriptTcpOption.Timestamp>().FirstOrDefault() is not { Echo.IsExact: true } ts)
        {
            return p;
        }
        var map = TsValuesOfConnection();
        uint echo = ts.Echo.Value;
        uint live;
        if (map.Live.TryGetValue(echo, out uint mapped)) live = mapped;
        else if (_script.Settings.TsEcrScaled && map.First is var (firstScript, firstLive)) live = unchecked(echo - firstScript + firstLive);
        else return p;
        var mappedTs = ts with { Echo = ScriptNumber.Of(live) };
        return p with { Options = new ValueList<ScriptTcpOption>(p.Options.Select(o => ReferenceEquals(o, ts) ? mappedTs : o).ToList()) };
    }
}

namespace Stack.Tcp.Completions;

/// <summary>
/// SO_TIMESTAMPING's flags, with Linux's bit values (linux/net_tstamp.h) since they are the option's wire format
/// on the socket API. This stack records software timestamps only; the hardware bits are accepted and do nothing,
/// as on a Linux device without hardware timestamping.
/// </summary>
[Flags]
public enum TimestampingFlags : uint
{
    None = 0,
    TxHardware = 1 << 0,
    TxSoftware = 1 << 1,
    RxHardware = 1 << 2,
    RxSoftware = 1 << 3,
    Software = 1 << 4,
    SysHardware = 1 << 5,
    RawHardware = 1 << 6,
    OptId = 1 << 7,
    TxSched = 1 << 8,
    TxAck = 1 << 9,
    OptCmsg = 1 << 10,
    OptTsOnly = 1 << 11,
    OptStats = 1 << 12,
    OptPktInfo = 1 << 13,
    OptTxSwHw = 1 << 14,
    BindPhc = 1 << 15,
    OptIdTcp = 1 << 16,
    OptRxFilter = 1 << 17,

    /// <summary>Every bit Linux knows (SOF_TIMESTAMPING_MASK): anything else is EINVAL.</summary>
    All = (OptRxFilter << 1) - 1,

    /// <summary>The bits that ask for a transmit timestamp of some kind (SOF_TIMESTAMPING_TX_RECORD_MASK).</summary>
    TxRecord = TxHardware | TxSoftware | TxSched | TxAck,
}

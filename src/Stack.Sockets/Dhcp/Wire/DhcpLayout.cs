namespace Stack.Sockets.Dhcp.Wire;

/// <summary>RFC 2131 §2 figure 1: the offsets of the BOOTP fields, and their constants.</summary>
internal static class DhcpLayout
{
    public const int Op = 0;
    public const int HType = 1;
    public const int HLen = 2;
    public const int Hops = 3;
    public const int XidOffset = 4;
    public const int SecsOffset = 8;
    public const int FlagsOffset = 10;
    public const int CiaddrOffset = 12;
    public const int YiaddrOffset = 16;
    public const int SiaddrOffset = 20;
    public const int GiaddrOffset = 24;
    public const int ChaddrOffset = 28;
    public const int SnameOffset = 44;
    public const int SnameLength = 64;
    public const int FileOffset = 108;
    public const int FileLength = 128;
    public const int MagicCookieOffset = 236;
    public const int OptionsOffset = 240;

    public const byte BootRequest = 1;
    public const byte BootReply = 2;
    public const byte HTypeEthernet = 1;

    /// <summary>RFC 2131 §3: 99.130.83.99.</summary>
    public const uint MagicCookie = 0x6382_5363;

    /// <summary>RFC 2131 §4.1: the flag that asks the server to broadcast its reply.</summary>
    public const ushort BroadcastFlag = 0x8000;

    /// <summary>RFC 1542 §3.3 / BOOTP: a request is padded to at least 300 bytes, as Linux's clients do.</summary>
    public const int MinMessageLength = 300;

    public const ushort ServerPort = 67;
    public const ushort ClientPort = 68;
}

using Stack.Tcp;

namespace Stack.Scripting;

/// <summary>
/// epoll_create, epoll_ctl and epoll_wait over the fd table, as Linux's fs/eventpoll.c gives them: an item joins
/// its instance's ready list when the socket wakes it (data arrived, send space freed, a state change) or when it
/// is added or modified while ready; epoll_wait polls each listed item again and reports what is ready of what
/// it asked for. A level-triggered item stays listed after it is reported; an EPOLLET one waits for the next
/// wakeup; an EPOLLONESHOT one is disabled until EPOLL_CTL_MOD.
/// </summary>
public sealed partial class ScriptRunner
{
    private const long EpollCtlAdd = 1, EpollCtlDel = 2, EpollCtlMod = 3;
    private const long EpollExclusive = 1L << 28, EpollWakeUp = 1L << 29, EpollOneShot = 1L << 30, EpollEt = 1L << 31;

    /// <summary>Linux's EP_PRIVATE_BITS: what a disabled EPOLLONESHOT item keeps of its events.</summary>
    private const long EpollPrivateBits = EpollWakeUp | EpollOneShot | EpollEt | EpollExclusive;

    private readonly Dictionary<int, EpollInstance> _epolls = [];

    /// <summary>One watched descriptor: the events asked for, the user data handed back, and whether it is listed ready.</summary>
    private sealed class EpollItem(int fd, long events, long data)
    {
        public int Fd { get; } = fd;
        public long Events { get; set; } = events;
        public long Data { get; set; } = data;
        public bool Ready { get; set; }

        /// <summary>A listener's completed connections when last looked at: a new one is a wakeup.</summary>
        public int SeenCompleted { get; set; }
    }

    private sealed class EpollInstance
    {
        /// <summary>Items in the order they were added; the ready ones are reported in this order.</summary>
        public List<EpollItem> Items { get; } = [];
    }

    private bool IsDescriptorInUse(int fd) => _fds.ContainsKey(fd) || _epolls.ContainsKey(fd) || _openFiles.ContainsKey(fd) || _pipes.ContainsKey(fd);

    private Outcome EpollCreate(SyscallEvent s)
    {
        if (Number(s, 0, "a size") <= 0) return Outcome.Error("EINVAL");
        int fd = NewDescriptor(s);
        _epolls[fd] = new EpollInstance();
        return new Outcome(fd);
    }

    /// <summary>The calls on an epoll descriptor (and epoll_ctl/epoll_wait on a socket, which Linux refuses with EINVAL).</summary>
    private (Func<Outcome?>, bool, long?) PrepareEpoll(SyscallEvent s, int epfd, long start)
    {
        if (!_epolls.TryGetValue(epfd, out var ep))
            return (() => Outcome.Error(_fds.ContainsKey(epfd) ? "EINVAL" : "EBADF"), false, null);
        return s.Name switch
        {
            "epoll_ctl" => (() => EpollCtl(s, epfd, ep), false, null),
            "epoll_wait" => EpollWait(s, ep, start),
            "close" => (() =>
            {
                _epolls.Remove(epfd);
                return new Outcome(0);
            }, false, null),
            _ => (() => Outcome.Error("EINVAL"), false, null),
        };
    }

    private Outcome EpollCtl(SyscallEvent s, int epfd, EpollInstance ep)
    {
        long op = Number(s, 1, "EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL");
        int fd = (int)Number(s, 2, "a descriptor");
        if (!IsDescriptorInUse(fd)) return Outcome.Error("EBADF");
        if (fd == epfd) return Outcome.Error("EINVAL");
        // Linux: an epoll instance may watch another, but nothing here wakes one; the suite never nests them.
        if (_epolls.ContainsKey(fd)) throw Fail("epoll_ctl(): watching an epoll descriptor is not supported by this runner");
        long events = 0, data = 0;
        if (op != EpollCtlDel) (events, data) = EpollEvent(s, s.Arguments[3]);
        var item = ep.Items.Find(i => i.Fd == fd);
        switch (op)
        {
            case EpollCtlAdd:
                if (item is not null) return Outcome.Error("EEXIST");
                // Linux ep_insert: EPOLLEXCLUSIVE goes with the plain events only, never with EPOLLONESHOT.
                if ((events & EpollExclusive) != 0 && (events & ~(EpollExclusive | EpollEt | EpollWakeUp | PollIn | PollOut | PollErr | PollHup)) != 0)
                    return Outcome.Error("EINVAL");
                item = new EpollItem(fd, events, data);
                ep.Items.Add(item);
                if (_fds.TryGetValue(fd, out var added)) Watch(added);
                break;
            case EpollCtlMod:
                if (item is null) return Outcome.Error("ENOENT");
                // Linux: an exclusive item cannot be modified, nor can EPOLLEXCLUSIVE be set by a MOD.
                if ((events & EpollExclusive) != 0 || (item.Events & EpollExclusive) != 0) return Outcome.Error("EINVAL");
                item.Events = events;
                item.Data = data;
                break;
            case EpollCtlDel:
                if (item is null) return Outcome.Error("ENOENT");
                ep.Items.Remove(item);
                return new Outcome(0);
            default:
                return Outcome.Error("EINVAL");
        }
        // Linux ep_insert and ep_modify: an item ready at once goes on the ready list.
        if (ReadyMask(item) != 0) item.Ready = true;
        return new Outcome(0);
    }

    /// <summary>The events and user data of a <c>{events=..., fd=N}</c> (or ptr=, u32=, u64=) argument.</summary>
    private (long Events, long Data) EpollEvent(SyscallEvent s, SyscallArg arg)
    {
        if (arg is not SyscallArg.StructLiteral ev || ev["events"] is not { } e || !e.TryEvaluate(out long events))
            throw Fail($"{s.Name}(): the event must be a struct such as {{events=EPOLLIN, fd=4}}, not '{arg}'");
        long data = 0;
        foreach (string name in (string[])["fd", "ptr", "u32", "u64"])
        {
            if (ev[name] is { } d)
            {
                if (!d.TryEvaluate(out data)) throw Fail($"{s.Name}(): {name}= needs a number, not '{d}'");
                if (name is "fd" or "u32") data &= 0xffff_ffff;
            }
        }
        return (events & 0xffff_ffff, data);
    }

    private (Func<Outcome?>, bool, long?) EpollWait(SyscallEvent s, EpollInstance ep, long start)
    {
        var (wantEvents, wantData) = EpollEvent(s, s.Arguments[1]);
        long maxEvents = Number(s, 2, "the most events to return");
        long timeoutMs = Number(s, 3, "a timeout in milliseconds");
        long? deadline = timeoutMs < 0 ? null : start + timeoutMs * 1000;
        return (() =>
        {
            if (maxEvents <= 0) return Outcome.Error("EINVAL");
            var reported = new List<(long Events, long Data)>();
            foreach (var item in ep.Items)
            {
                NoticeListener(item);
                if (!item.Ready || reported.Count == maxEvents) continue;
                long mask = ReadyMask(item);
                // Linux ep_send_events: an item listed but no longer ready is dropped from the list.
                item.Ready = false;
                if (mask == 0) continue;
                reported.Add((mask, item.Data));
                if ((item.Events & EpollOneShot) != 0) item.Events &= EpollPrivateBits;
                else if ((item.Events & EpollEt) == 0) item.Ready = true; // Level-triggered: listed again.
            }
            if (reported.Count == 0 && (deadline is not { } d || ScriptNow < d)) return null;
            var (events, data) = reported.Count > 0 ? reported[0] : (0, 0);
            if (events != wantEvents || (data & 0xffff_ffff) != (wantData & 0xffff_ffff))
            {
                throw Fail($"epoll_wait() output differs: expected {s.Arguments[1]}, got {{events={FormatEpoll(events)}, data={data}}}",
                    expected: s.FormatAction(), actual: $"epoll_wait({s.Arguments[0]}, {{events={FormatEpoll(events)}, data={data}}}, {maxEvents}, {timeoutMs}) = {reported.Count}");
            }
            return new Outcome(reported.Count);
        }, timeoutMs != 0, deadline);
    }

    /// <summary>What of an item's events its descriptor has ready now (tcp_poll's mask; errors and hang-ups always count).</summary>
    private long ReadyMask(EpollItem item)
    {
        long mask = _fds.TryGetValue(item.Fd, out var sock) ? PollMask(sock) : 0;
        return mask & (item.Events | PollErr | PollHup) & 0xffff_ffff & ~EpollPrivateBits;
    }

    /// <summary>A listener wakes its items when a connection completes (Linux: sk_data_ready from the child).</summary>
    private void NoticeListener(EpollItem item)
    {
        if (!_fds.TryGetValue(item.Fd, out var sock) || sock.Listener is not { } l) return;
        if (l.CompletedCount > item.SeenCompleted && (item.Events & PollIn) != 0) item.Ready = true;
        item.SeenCompleted = l.CompletedCount;
    }

    /// <summary>Hooks the socket's connection wakeups so that epoll items watching it are listed (once per connection).</summary>
    private void Watch(ScriptSocket sock)
    {
        if (sock.Connection is not { } c || sock.Watched == c) return;
        sock.Watched = c;
        var previous = c.Notify;
        c.Notify = (conn, events) =>
        {
            previous?.Invoke(conn, events);
            Wake(sock.Fd, events);
        };
    }

    /// <summary>
    /// Linux ep_poll_callback: a wakeup lists each item of the descriptor whose events it concerns. Data, end of
    /// stream and errors concern readers; freed send space concerns writers only when the socket is writable by
    /// tcp_poll's rule (sk_stream_write_space wakes nobody before); an error-queue entry (a zerocopy completion)
    /// wakes with EPOLLERR, which every item watches; a state change concerns everyone.
    /// </summary>
    private void Wake(int fd, TcpEvents events)
    {
        if (!_fds.TryGetValue(fd, out var sock)) return;
        long key = 0;
        if ((events & (TcpEvents.Readable | TcpEvents.Error)) != 0) key |= PollIn | PollRdNorm | PollRdHup | PollErr;
        if ((events & TcpEvents.Writable) != 0 && (PollMask(sock) & PollOut) != 0) key |= PollOut | PollWrNorm;
        if ((events & TcpEvents.ErrorQueued) != 0) key |= PollErr; // sock_queue_err_skb's sk_error_report (sock_def_error_report).
        if ((events & (TcpEvents.Connected | TcpEvents.Closed | TcpEvents.StateChanged | TcpEvents.Error)) != 0) key = ~0L;
        if (key == 0) return;
        foreach (var ep in _epolls.Values)
        {
            foreach (var item in ep.Items)
            {
                // epoll watches EPOLLERR and EPOLLHUP with any events (ep_insert adds them), but not on an item
                // EPOLLONESHOT disabled (ep_poll_callback skips an item with only private bits left).
                long watched = item.Events & ~EpollPrivateBits;
                if (item.Fd == fd && watched != 0 && ((watched | PollErr | PollHup) & key) != 0) item.Ready = true;
            }
        }
    }

    private static string FormatEpoll(long events) => FormatPoll(events).Replace("POLL", "EPOLL", StringComparison.Ordinal);
}

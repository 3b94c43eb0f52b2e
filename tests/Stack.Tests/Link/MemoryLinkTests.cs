using Stack.Link.Devices;
using Stack.Link.Devices.Memory;
using Stack.Tests.Support;

namespace Stack.Tests.Link;

public sealed class MemoryLinkTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static byte[] Frame(byte tag, int length = 60)
    {
        var f = new byte[length];
        Array.Fill(f, tag);
        return f;
    }

    [Fact]
    public void A_frame_sent_on_a_arrives_at_b_and_back()
    {
        var (a, b) = MemoryLink.CreatePair();
        using (a)
        using (b)
        {
            var atA = new FrameRecorder();
            var atB = new FrameRecorder();
            a.Start(atA);
            b.Start(atB);

            a.Transmit(Frame(0xAA));
            Assert.True(atB.WaitForCount(1, Wait));
            b.Transmit(Frame(0xBB, 42));
            Assert.True(atA.WaitForCount(1, Wait));

            Assert.Equal(Frame(0xAA), atB.Frames[0]);
            Assert.Equal(Frame(0xBB, 42), atA.Frames[0]);
            Assert.Equal(1, a.FramesSent);
            Assert.Equal(1, b.FramesReceived);
            Assert.Equal("mem:a", a.Name);
            Assert.Equal(1500, b.Mtu);
        }
    }

    [Fact]
    public void Frames_sent_before_the_peer_starts_wait_in_its_queue_in_order()
    {
        var (a, b) = MemoryLink.CreatePair();
        using (a)
        using (b)
        {
            for (byte i = 1; i <= 3; i++) a.Transmit(Frame(i));
            Assert.Equal(3, b.QueuedFrames);

            var atB = new FrameRecorder();
            b.Start(atB);

            Assert.True(atB.WaitForCount(3, Wait));
            Assert.Equal([1, 2, 3], atB.Frames.Select(f => f[0]));
            Assert.Equal(0, b.FramesDropped);
        }
    }

    [Fact]
    public void A_full_queue_drops_and_counts_what_does_not_fit()
    {
        var (a, b) = MemoryLink.CreatePair(queueCapacity: 4);
        using (a)
        using (b)
        {
            for (byte i = 1; i <= 6; i++) a.Transmit(Frame(i));

            Assert.Equal(4, b.QueuedFrames);
            Assert.Equal(2, b.FramesDropped);
            var atB = new FrameRecorder();
            b.Start(atB);
            Assert.True(atB.WaitForCount(4, Wait));
            Assert.Equal([1, 2, 3, 4], atB.Frames.Select(f => f[0]));
        }
    }

    [Fact]
    public void Delivery_runs_on_the_receiving_ports_thread_so_a_sink_may_reply_at_once()
    {
        var (a, b) = MemoryLink.CreatePair();
        using (a)
        using (b)
        {
            var atA = new FrameRecorder();
            a.Start(atA);
            b.Start(new Echo(b, rounds: 100));

            a.Transmit(Frame(0));

            // Each echo is sent from inside B's sink: synchronous delivery would recurse 100 deep into A and B.
            Assert.True(atA.WaitForCount(1, Wait));
            Assert.DoesNotContain(Environment.CurrentManagedThreadId, atA.Threads);
        }
    }

    private sealed class Echo(ILinkDevice port, int rounds) : IFrameSink
    {
        private int _left = rounds;

        public void OnFrame(ReadOnlySpan<byte> frame)
        {
            if (Interlocked.Decrement(ref _left) >= 0) port.Transmit(frame);
        }
    }

    [Fact]
    public void A_frame_longer_than_the_mtu_allows_is_refused()
    {
        var (a, b) = MemoryLink.CreatePair(mtu: 1500);
        using (a)
        using (b)
        {
            a.Transmit(new byte[1518]); // 1500 + Ethernet header + one VLAN tag
            Assert.Throws<ArgumentException>(() => a.Transmit(new byte[1519]));
        }
    }

    [Fact]
    public void After_dispose_transmit_throws_and_the_peer_talks_into_the_void()
    {
        var (a, b) = MemoryLink.CreatePair();
        a.Dispose();
        Assert.Throws<ObjectDisposedException>(() => a.Transmit(Frame(1)));
        b.Transmit(Frame(2));
        Assert.Equal(1, b.FramesSent);
        b.Dispose();
    }

    [Fact]
    public void Start_twice_is_a_mistake()
    {
        var (a, b) = MemoryLink.CreatePair();
        using (a)
        using (b)
        {
            a.Start(new FrameRecorder());
            Assert.Throws<InvalidOperationException>(() => a.Start(new FrameRecorder()));
        }
    }
}

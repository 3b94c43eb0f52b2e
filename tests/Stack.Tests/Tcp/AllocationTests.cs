using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Buffers;
using Stack.Tcp.Isn;
using Stack.Tcp.Ports;
using Stack.Tcp.Rto;
using Stack.Tcp.Timers;

namespace Stack.Tests.Tcp;

public sealed class AllocationTests
{
    [Fact]
    public void The_building_blocks_allocate_nothing_in_steady_state()
    {
        var send = new SendBuffer(4096);
        var receive = new ReceiveBuffer(4096);
        var rto = new RtoEstimator();
        var timers = new ConnectionTimers();
        var isn = new IsnGenerator(new byte[16]);
        var ports = new EphemeralPorts(new byte[16], random: new Random(1));
        Func<ushort, bool> inUse = static p => p % 3 != 0;
        byte[] payload = new byte[1000];
        byte[] frame = new byte[1460];
        byte[] local = [192, 0, 2, 1];
        byte[] remote = [192, 0, 2, 2];
        var rcvNxt = new SeqNum(0xFFFF_0000);

        void Round(long i)
        {
            Instant now = Instant.FromMilliseconds(i);
            send.Write(payload);
            send.CopyOut(0, frame.AsSpan(0, 1000));
            rto.StartTiming(new SeqNum((uint)i), now);
            timers.ArmIfIdle(TimerKind.Retransmission, now + rto.Rto);
            send.Acknowledge(1000);
            rto.OnAck(new SeqNum((uint)i + 1), now + TimeSpan.FromMilliseconds(3));
            foreach (TimerKind kind in timers.TakeDue(now + TimeSpan.FromSeconds(10)))
            {
                timers.Arm(kind, now + TimeSpan.FromSeconds(20));
            }

            receive.Insert(rcvNxt, rcvNxt + 1000, payload, out _);
            receive.Insert(rcvNxt, rcvNxt + 3000, payload, out _);
            Span<SeqRange> sack = stackalloc SeqRange[4];
            receive.CopyHeldRanges(sack);
            receive.Insert(rcvNxt, rcvNxt, payload, out int advanced);
            rcvNxt += advanced;
            receive.Read(frame);
            receive.Read(frame);
            receive.Insert(rcvNxt, rcvNxt, payload, out advanced);
            rcvNxt += advanced;
            receive.Read(frame);
            receive.Read(frame);

            isn.Next(local, 1234, remote, 80, now);
            ports.TryAllocate(local, remote, 80, inUse, out _);
        }

        for (int i = 0; i < 200; i++)
        {
            Round(i);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 200; i < 1200; i++)
        {
            Round(i);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, receive.Readable);
    }
}

#!/usr/bin/env python3
"""Kernel-side TCP clients and servers for bench/tap-bench.sh. Each mode prints key=value lines.

  bulk HOST PORT SECONDS          send as fast as possible into a discard server; Mbit/s
  recv HOST PORT SECONDS          read from a streaming server (chargen) for SECONDS; its send rate in Mbit/s
  rtt HOST PORT COUNT             1-byte echo round trips with TCP_NODELAY; p50/p99 in microseconds
  cps HOST PORT SECONDS           serial daytime connections (connect, read to EOF, close); connections/s
  idle HOST PORT COUNT SECONDS    hold COUNT idle connections open for SECONDS; prints how many opened
  serve ADDR                      discard (9), echo (7), daytime (13) and chargen (19) servers, for the kernel-to-kernel baseline
"""
import os, resource, socket, statistics, sys, threading, time


def bulk(host, port, seconds):
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    chunk = os.urandom(1 << 16) * 4
    sent, start = 0, time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        sent += s.send(chunk)
    elapsed = time.perf_counter() - start
    s.close()
    print(f"bulk_mbit_per_s={sent * 8 / elapsed / 1e6:.0f}")


def recv(host, port, seconds):
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    buf = bytearray(1 << 20)
    got, start = 0, time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        n = s.recv_into(buf)
        if n == 0:
            raise SystemExit(f"recv: end of file after {got} bytes")
        got += n
    elapsed = time.perf_counter() - start
    s.close()
    print(f"send_mbit_per_s={got * 8 / elapsed / 1e6:.0f}")


def rtt(host, port, count):
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples = []
    for _ in range(count):
        t = time.perf_counter_ns()
        s.sendall(b"x")
        if s.recv(1) != b"x":
            raise SystemExit("rtt: echo returned something else")
        samples.append((time.perf_counter_ns() - t) / 1000)
    s.close()
    samples.sort()
    print(f"rtt_p50_us={samples[len(samples) // 2]:.1f}")
    print(f"rtt_p99_us={samples[int(len(samples) * 0.99)]:.1f}")


def cps(host, port, seconds):
    n, start = 0, time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        s = socket.create_connection((host, port), timeout=5)
        while s.recv(256):
            pass
        s.close()
        n += 1
    print(f"daytime_conn_per_s={n / (time.perf_counter() - start):.0f}")


def idle(host, port, count, seconds):
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + 100, count + 100))
    socks = []
    for _ in range(count):
        try:
            socks.append(socket.create_connection((host, port), timeout=5))
        except OSError as e:
            print(f"idle_error={e}", file=sys.stderr)
            break
    print(f"idle_connections={len(socks)}", flush=True)
    time.sleep(seconds)
    for s in socks:
        s.close()


def serve(addr):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET

    def listener(port, handle):
        l = socket.socket(family, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((addr, port))
        l.listen(1024)
        while True:
            c, _ = l.accept()
            threading.Thread(target=handle, args=(c,), daemon=True).start()

    def discard(c):
        while c.recv(1 << 20):
            pass
        c.close()

    def echo(c):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
        c.close()

    def chargen(c):
        block = bytes(32 + i % 95 for i in range(1 << 18))
        try:
            while True:
                c.sendall(block)
        except OSError:
            pass
        c.close()

    def daytime(c):
        c.sendall(time.strftime("%a %b %d %H:%M:%S %Y\r\n").encode())
        c.close()

    for port, handle in ((9, discard), (7, echo), (13, daytime), (19, chargen)):
        threading.Thread(target=listener, args=(port, handle), daemon=True).start()
    print("serving", flush=True)
    time.sleep(3600)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "bulk":
        bulk(args[0], int(args[1]), float(args[2]))
    elif mode == "recv":
        recv(args[0], int(args[1]), float(args[2]))
    elif mode == "rtt":
        rtt(args[0], int(args[1]), int(args[2]))
    elif mode == "cps":
        cps(args[0], int(args[1]), float(args[2]))
    elif mode == "idle":
        idle(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif mode == "serve":
        serve(args[0])
    else:
        raise SystemExit(__doc__)

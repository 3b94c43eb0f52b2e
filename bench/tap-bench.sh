#!/usr/bin/env bash
# The TAP benchmark (root): in private namespaces, the kernel's TCP as client against `stack serve` on a TAP —
# bulk throughput into discard (Mbit/s), bulk the other way read from chargen (send_mbit_per_s: the stack's,
# then the kernel's, sending rate), 1-byte echo round trips (p50/p99 µs), serial daytime connections per second,
# and 10,000 idle connections held with the memory each costs — then the same figures for kernel to kernel over
# a veth pair, printed as key=value lines. Everything stays in namespaces this script creates.
# The 2-loop figures: two bulk flows at once into discard, against `serve` (bulk2_q1) and against
# `serve --queues 2` on a 2-queue TAP (bulk2_q2, retried up to 4 times until the kernel put one flow on each
# queue: bulk2_q2_spread says how they went; a try that put both on one queue is bulk2_q2_one_queue), their
# ratio, and the kernel's two flows over veth.
#   BENCH_SECONDS (default 5) sets each timed run; BENCH_IDLE (default 10000) the idle connections.
#   BENCH_BUSY_POLL (default 50) reruns the stack's echo with `serve --busy-poll USEC` (stack_busy_rtt_* keys); 0 skips it.
#   BENCH_CLIENT (default dotnet) picks the kernel-side clients and baseline servers: dotnet (bench/Stack.TcpClients,
#   blocking sockets) or python (bench/tap/tcp_clients.py, which limits daytime to ~3,000 connections/s). The
#   idle-connection run always uses python. The same client serves both the stack and the kernel rows.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
  echo "tap-bench: needs root and /dev/net/tun" >&2
  exit 1
fi
seconds="${BENCH_SECONDS:-5}"
busy="${BENCH_BUSY_POLL:-50}"
idle="${BENCH_IDLE:-10000}"
scripts/install-deps
dotnet build src/Stack.Apps -c Release --nologo -v quiet >/dev/null
stack=(dotnet "$PWD/src/Stack.Apps/bin/Release/net10.0/stack.dll")
clients="$PWD/bench/tap/tcp_clients.py"
case "${BENCH_CLIENT:-dotnet}" in
  dotnet)
    dotnet build bench/Stack.TcpClients -c Release --nologo -v quiet >/dev/null
    timed=(dotnet "$PWD/bench/Stack.TcpClients/bin/Release/net10.0/tcp-clients.dll") ;;
  python) timed=(python3 "$clients") ;;
  *) echo "tap-bench: BENCH_CLIENT is dotnet or python" >&2; exit 2 ;;
esac
echo "client=${BENCH_CLIENT:-dotnet}"

ns="stkbench-$$"; nsa="stkbench-a-$$"; nsb="stkbench-b-$$"; nsq="stkbench-q-$$"
pid=""; kpid=""; qpid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  [ -n "$qpid" ] && kill -TERM "$qpid" 2>/dev/null || true
  scripts/tap-setup down --netns "$nsq" >/dev/null 2>&1 || true
  [ -n "$kpid" ] && kill "$kpid" 2>/dev/null || true
  wait 2>/dev/null || true
  scripts/tap-setup down --netns "$ns" >/dev/null 2>&1 || true
  ip netns del "$nsa" 2>/dev/null || true
  ip netns del "$nsb" 2>/dev/null || true
}
trap cleanup EXIT

inns() { local where="$1"; shift; timeout 120 ip netns exec "$where" "$@"; }
wait_for() { # NS HOST PORT
  for _ in $(seq 1 100); do
    inns "$1" python3 -c "import socket,sys; socket.create_connection(('$2', $3), timeout=1).close()" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "tap-bench: nothing listens on $2:$3" >&2
  exit 1
}
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine=$(nproc)cpu-$(awk '/MemTotal/ {printf "%.0fGiB", $2/1048576}' /proc/meminfo)-$(uname -r)"

# The stack on tap0, the kernel on br0.
scripts/tap-setup up --netns "$ns" --taps 1 >/dev/null
ip netns exec "$ns" "${stack[@]}" serve --tap tap0 --ip 192.0.2.2/24 --log-level warning &
pid=$!
wait_for "$ns" 192.0.2.2 13
inns "$ns" "${timed[@]}" bulk 192.0.2.2 9 "$seconds" | sed 's/^/stack_/'
inns "$ns" "${timed[@]}" recv 192.0.2.2 19 "$seconds" | sed 's/^/stack_/'
inns "$ns" "${timed[@]}" rtt 192.0.2.2 7 20000 | sed 's/^/stack_/'
inns "$ns" "${timed[@]}" cps 192.0.2.2 13 "$seconds" | sed 's/^/stack_/'
q1=$(inns "$ns" "${timed[@]}" bulk2 192.0.2.2 9 "$seconds" 2 | sed -n 's/^bulk2_mbit_per_s=//p')
echo "bulk2_q1_mbit_per_s=$q1"
before=$(rss_kib "$pid")
inns "$ns" python3 "$clients" idle 192.0.2.2 9 "$idle" 5 > "/tmp/stkbench-idle-$$" &
ipid=$!
for _ in $(seq 1 600); do grep -q idle_connections "/tmp/stkbench-idle-$$" 2>/dev/null && break; sleep 0.1; done
sleep 1
after=$(rss_kib "$pid")
held=$(sed -n 's/idle_connections=//p' "/tmp/stkbench-idle-$$")
wait "$ipid" || true
rm -f "/tmp/stkbench-idle-$$"
echo "stack_idle_connections=${held:-0}"
[ "${held:-0}" -gt 0 ] && echo "stack_kib_per_idle_connection=$(( (after - before) / held ))"

# The stack's echo again with a bounded busy-poll before the loop sleeps (SO_BUSY_POLL's idea; off by default).
if [ "$busy" -gt 0 ]; then
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  ip netns exec "$ns" "${stack[@]}" serve --tap tap0 --ip 192.0.2.2/24 --log-level warning --busy-poll "$busy" &
  pid=$!
  wait_for "$ns" 192.0.2.2 13
  echo "stack_busy_poll_us=$busy"
  # A fresh process: warm its JIT first (the default run's stack had the bulk runs before its echo), and give the
  # background tier-up a second to finish, so it does not compete with the spinning loop for the two cores.
  inns "$ns" "${timed[@]}" rtt 192.0.2.2 7 20000 >/dev/null
  sleep 1
  inns "$ns" "${timed[@]}" rtt 192.0.2.2 7 20000 | sed 's/^/stack_busy_/'
fi
# Two event loops: `serve --queues 2` on a 2-queue TAP. The kernel spreads flows over the queues by hash, so two
# flows share one queue half the time: the run is repeated (up to 4 times) until the shards' passive opens say one
# flow went to each. The stack's control socket is a file: nstat needs no namespace.
kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""
scripts/tap-setup up --netns "$nsq" --taps 1 --queues 2 >/dev/null
qname="stkbench-q-$$"
ip netns exec "$nsq" "${stack[@]}" serve --tap tap0 --ip 192.0.2.2/24 --queues 2 --name "$qname" --log-level warning &
qpid=$!
wait_for "$nsq" 192.0.2.2 13
opens() { "${stack[@]}" nstat --name "$qname" -a -z -s 'StackShard?TcpPassiveOpens' | awk '/^StackShard/ {print $2}' | paste -sd' '; }
inns "$nsq" "${timed[@]}" bulk 192.0.2.2 9 "$seconds" | sed 's/^/q2_/'
for attempt in 1 2 3 4; do
  read -r b0 b1 <<< "$(opens)"
  q2=$(inns "$nsq" "${timed[@]}" bulk2 192.0.2.2 9 "$seconds" 2 | sed -n 's/^bulk2_mbit_per_s=//p')
  read -r a0 a1 <<< "$(opens)"
  spread="$((a0 - b0))+$((a1 - b1))"
  [ "$spread" = "1+1" ] && break
  same="${same:-$q2}" # both flows on one queue: one loop, as with --queues 1
done
echo "bulk2_q2_mbit_per_s=$q2"
echo "bulk2_q2_spread=$spread"
[ -n "${same:-}" ] && echo "bulk2_q2_one_queue_mbit_per_s=$same"
echo "bulk2_q2_over_q1=$(awk -v a="$q2" -v b="$q1" 'BEGIN { printf "%.2f", a / b }')"
kill -TERM "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; qpid=""

# The kernel against itself over a veth pair, in two more namespaces.
ip netns add "$nsa"; ip netns add "$nsb"
ip link add vbench-a netns "$nsa" type veth peer name vbench-b netns "$nsb"
ip -n "$nsa" addr add 192.0.2.1/24 dev vbench-a; ip -n "$nsa" link set vbench-a up; ip -n "$nsa" link set lo up
ip -n "$nsb" addr add 192.0.2.9/24 dev vbench-b; ip -n "$nsb" link set vbench-b up; ip -n "$nsb" link set lo up
ip netns exec "$nsb" "${timed[@]}" serve 192.0.2.9 >/dev/null &
kpid=$!
wait_for "$nsa" 192.0.2.9 13
inns "$nsa" "${timed[@]}" bulk 192.0.2.9 9 "$seconds" | sed 's/^/kernel_/'
inns "$nsa" "${timed[@]}" recv 192.0.2.9 19 "$seconds" | sed 's/^/kernel_/'
inns "$nsa" "${timed[@]}" rtt 192.0.2.9 7 20000 | sed 's/^/kernel_/'
inns "$nsa" "${timed[@]}" cps 192.0.2.9 13 "$seconds" | sed 's/^/kernel_/'
inns "$nsa" "${timed[@]}" bulk2 192.0.2.9 9 "$seconds" 2 | sed 's/^/kernel_/'

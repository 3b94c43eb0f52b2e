#!/usr/bin/env bash
# The echo benchmark (root): 1-byte round trips (bench/Stack.TcpClients rtt, p50/p99 µs) against several servers
# that are all up for the whole run, taken in turn in each of ECHO_ROUNDS rounds so that load drifts hit them alike:
#   stack       `stack serve` of this tree on tap1
#   busy        the same with --busy-poll ECHO_BUSY_POLL (default 50) on tap2
#   base        `stack serve` of the tree at BASE (a worktree path, optional: built by the caller) on tap0
#   kernel      the tool's kernel echo server over a veth pair (tap-bench's kernel row)
#   kbridge     the same kernel server behind the bridge the TAPs hang on (a veth port of br0): the stack's path
# Rows of the stacks add the loop's counters for the round (StackLoopSleeps: its poll(2) sleeps, the busy-poll
# spins and hits) from `stack nstat`. Everything stays in namespaces this script creates and deletes.
#   usage: echo-bench.sh [BASE]     ECHO_ROUNDS (default 3), ECHO_COUNT (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
  echo "echo-bench: needs root and /dev/net/tun" >&2
  exit 1
fi
base="${1:-}"
rounds="${ECHO_ROUNDS:-3}"; count="${ECHO_COUNT:-20000}"; busy="${ECHO_BUSY_POLL:-50}"
dotnet build src/Stack.Apps -c Release --nologo -v quiet >/dev/null
dotnet build bench/Stack.TcpClients -c Release --nologo -v quiet >/dev/null
stack=(dotnet "$PWD/src/Stack.Apps/bin/Release/net10.0/stack.dll")
timed=(dotnet "$PWD/bench/Stack.TcpClients/bin/Release/net10.0/tcp-clients.dll")
ns="stkecho-$$"; nsa="stkecho-a-$$"; nsb="stkecho-b-$$"; nsk="stkecho-k-$$"
pids=""
cleanup() {
  for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f /run/stack/stkecho-*-$$.nstat
  scripts/tap-setup down --netns "$ns" >/dev/null 2>&1 || true
  for n in "$nsa" "$nsb" "$nsk"; do ip netns del "$n" 2>/dev/null || true; done
}
trap cleanup EXIT

serve() { # BINARY TAP ADDR NAME [ARGS]
  local dll=$1 tap=$2 addr=$3 name=$4; shift 4
  ip netns exec "$ns" dotnet "$dll" serve --name "$name" --tap "$tap" --ip "$addr/24" --autoconf off --log-level warning "$@" >/dev/null 2>&1 &
  pids="$pids $!"
}
scripts/tap-setup up --netns "$ns" --taps 3 >/dev/null
serve "${stack[1]}" tap1 192.0.2.3 "stkecho-stack-$$"
serve "${stack[1]}" tap2 192.0.2.4 "stkecho-busy-$$" --busy-poll "$busy"
[ -n "$base" ] && serve "$base/src/Stack.Apps/bin/Release/net10.0/stack.dll" tap0 192.0.2.2 "stkecho-base-$$"

ip netns add "$nsa"; ip netns add "$nsb"; ip netns add "$nsk"
ip link add vecho-a netns "$nsa" type veth peer name vecho-b netns "$nsb"
ip -n "$nsa" addr add 192.0.2.1/24 dev vecho-a; ip -n "$nsa" link set vecho-a up; ip -n "$nsa" link set lo up
ip -n "$nsb" addr add 192.0.2.9/24 dev vecho-b; ip -n "$nsb" link set vecho-b up; ip -n "$nsb" link set lo up
ip link add vecho-br netns "$ns" type veth peer name vecho-k netns "$nsk"
ip -n "$ns" link set vecho-br master br0; ip -n "$ns" link set vecho-br up
ip -n "$nsk" addr add 192.0.2.10/24 dev vecho-k; ip -n "$nsk" link set vecho-k up; ip -n "$nsk" link set lo up
ip netns exec "$nsb" "${timed[@]}" serve 192.0.2.9 >/dev/null & pids="$pids $!"
ip netns exec "$nsk" "${timed[@]}" serve 192.0.2.10 >/dev/null & pids="$pids $!"

wait_for() { # NS HOST
  for _ in $(seq 1 150); do
    ip netns exec "$1" python3 -c "import socket; socket.create_connection(('$2', 7), timeout=1).close()" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "echo-bench: nothing listens on $2:7" >&2
  exit 1
}
rtt() { ip netns exec "$1" "${timed[@]}" rtt "$2" 7 "$count" | tr '\n' ' '; }
loop_counters() { "${stack[@]}" nstat --name "$1" -z 'StackLoop*' | awk 'NF == 3 && $1 != "StackLoopInboxDrops" {printf "%s=%s ", $1, $2}'; }
row() { # LABEL HOST [STACK-NAME]
  [ -n "${3:-}" ] && loop_counters "$3" >/dev/null
  echo "$1 $(rtt "$ns" "$2")${3:+$(loop_counters "$3")}"
}

for host in 192.0.2.3 192.0.2.4 ${base:+192.0.2.2} 192.0.2.10; do wait_for "$ns" "$host"; done
wait_for "$nsa" 192.0.2.9
echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ) load=$(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  echo "round=$r"
  [ -n "$base" ] && row base 192.0.2.2 "stkecho-base-$$"
  row stack 192.0.2.3 "stkecho-stack-$$"
  row "busy$busy" 192.0.2.4 "stkecho-busy-$$"
  echo "kernel $(rtt "$nsa" 192.0.2.9)"
  row kbridge 192.0.2.10
done
echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"

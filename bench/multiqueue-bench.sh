#!/usr/bin/env bash
# The multi-queue benchmark (root): `stack serve` on a one-queue TAP and `stack serve --queues 2` on a 2-queue TAP,
# both running at once in namespaces of their own, measured in turns (one, two, one, two…) with the kernel's
# clients: one bulk flow into discard, then two at once (bulk2; on the 2-queue stack only runs where the kernel
# put one flow on each queue count, up to 4 tries each). Prints every sample and the medians as key=value lines.
#   BENCH_SECONDS (default 5) each timed run; BENCH_ROUNDS (default 3) turns.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
  echo "multiqueue-bench: needs root and /dev/net/tun" >&2
  exit 1
fi
seconds="${BENCH_SECONDS:-5}"
rounds="${BENCH_ROUNDS:-3}"
dotnet build src/Stack.Apps -c Release --nologo -v quiet >/dev/null
dotnet build bench/Stack.TcpClients -c Release --nologo -v quiet >/dev/null
stack=(dotnet "$PWD/src/Stack.Apps/bin/Release/net10.0/stack.dll")
timed=(dotnet "$PWD/bench/Stack.TcpClients/bin/Release/net10.0/tcp-clients.dll")
n1="stkmq-1-$$"; n2="stkmq-2-$$"; p1=""; p2=""
cleanup() {
  for p in $p1 $p2; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/tap-setup down --netns "$n1" >/dev/null 2>&1 || true
  scripts/tap-setup down --netns "$n2" >/dev/null 2>&1 || true
}
trap cleanup EXIT
inns() { local where="$1"; shift; timeout 120 ip netns exec "$where" "$@"; }
wait_for() { # NS
  for _ in $(seq 1 100); do
    inns "$1" python3 -c "import socket; socket.create_connection(('192.0.2.2', 13), timeout=1).close()" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "multiqueue-bench: the stack in $1 does not answer" >&2; exit 1
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')"
scripts/tap-setup up --netns "$n1" --taps 1 >/dev/null
scripts/tap-setup up --netns "$n2" --taps 1 --queues 2 >/dev/null
ip netns exec "$n1" "${stack[@]}" serve --tap tap0 --ip 192.0.2.2/24 --name "$n1" --log-level warning 2>/dev/null &
p1=$!
ip netns exec "$n2" "${stack[@]}" serve --tap tap0 --ip 192.0.2.2/24 --name "$n2" --queues 2 --log-level warning 2>/dev/null &
p2=$!
wait_for "$n1"; wait_for "$n2"
opens() { "${stack[@]}" nstat --name "$n2" -a -z -s 'StackShard?TcpPassiveOpens' | awk '/^StackShard/ {print $2}' | paste -sd' '; }
bulk() { inns "$1" "${timed[@]}" bulk 192.0.2.2 9 "$seconds" | sed -n 's/^bulk_mbit_per_s=//p'; }
bulk2() { inns "$1" "${timed[@]}" bulk2 192.0.2.2 9 "$seconds" 2 | sed -n 's/^bulk2_mbit_per_s=//p'; }
b1=""; b2=""; t1=""; t2=""
for round in $(seq 1 "$rounds"); do
  b1="$b1 $(bulk "$n1")"; b2="$b2 $(bulk "$n2")"
  t1="$t1 $(bulk2 "$n1")"
  for attempt in 1 2 3 4; do
    read -r x0 x1 <<< "$(opens)"; v=$(bulk2 "$n2"); read -r y0 y1 <<< "$(opens)"
    [ "$((y0 - x0))+$((y1 - x1))" = "1+1" ] && { t2="$t2 $v"; break; }
  done
done
echo "bulk_q1_samples=$(echo $b1)"; echo "bulk_q2_samples=$(echo $b2)"
echo "bulk2_q1_samples=$(echo $t1)"; echo "bulk2_q2_samples=$(echo $t2)"
m1=$(echo "$t1" | median); m2=$(echo "$t2" | median)
echo "bulk_q1_mbit_per_s=$(echo "$b1" | median)"; echo "bulk_q2_mbit_per_s=$(echo "$b2" | median)"
echo "bulk2_q1_mbit_per_s=$m1"; echo "bulk2_q2_mbit_per_s=$m2"
echo "bulk2_q2_over_q1=$(awk -v a="$m2" -v b="$m1" 'BEGIN { printf "%.2f", a / b }')"
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')"

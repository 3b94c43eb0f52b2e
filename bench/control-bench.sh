#!/usr/bin/env bash
# Does asking a running stack for its sockets and counters slow it down? (root) Bulk throughput from the kernel
# into `stack serve`'s discard service, alone and while a client sends 1,000 control requests (sockets and
# counters in turn, one connection each, as `stack ss` and `stack nstat` do), runs interleaved, medians of 3.
# Prints key=value lines. Everything stays in a namespace this script creates.
#   BENCH_SECONDS (default 5) sets each bulk run; BENCH_REQUESTS (default 1000) the control requests per run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
  echo "control-bench: needs root and /dev/net/tun" >&2
  exit 1
fi
seconds="${BENCH_SECONDS:-5}"
requests="${BENCH_REQUESTS:-1000}"
scripts/install-deps
dotnet build src/Stack.Apps -c Release --nologo -v quiet >/dev/null
dotnet build bench/Stack.TcpClients -c Release --nologo -v quiet >/dev/null
stack=(dotnet "$PWD/src/Stack.Apps/bin/Release/net10.0/stack.dll")
timed=(dotnet "$PWD/bench/Stack.TcpClients/bin/Release/net10.0/tcp-clients.dll")
ns="stkctl-$$"; name="bench-$$"; sock="/run/stack/$name.sock"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  scripts/tap-setup down --netns "$ns" >/dev/null 2>&1 || true
}
trap cleanup EXIT
inns() { timeout 120 ip netns exec "$ns" "$@"; }

scripts/tap-setup up --netns "$ns" --taps 1 >/dev/null
ip netns exec "$ns" "${stack[@]}" serve --tap tap0 --ip 192.0.2.2/24 --name "$name" --log-level warning &
pid=$!
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "control-bench: no control socket at $sock" >&2; exit 1; }

asker() { # N requests, each on its own connection; prints requests per second
  python3 - "$sock" "$1" <<'PY'
import socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
start = time.time()
for i in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b'{"v":1,"command":"%s"}\n' % (b"sockets" if i % 2 == 0 else b"counters"))
    f = s.makefile("rb")
    if b'"ok":true' not in f.readline():
        sys.exit("control-bench: a request failed")
    s.close()
print("control_requests_per_s=%.0f" % (n / (time.time() - start)))
PY
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

alone=(); busy=(); rates=()
for run in 1 2 3; do
  alone+=("$(inns "${timed[@]}" bulk 192.0.2.2 9 "$seconds" | sed -n 's/bulk_mbit_per_s=//p')")
  asker "$requests" > "/tmp/stkctl-rate-$$" &
  apid=$!
  busy+=("$(inns "${timed[@]}" bulk 192.0.2.2 9 "$seconds" | sed -n 's/bulk_mbit_per_s=//p')")
  wait "$apid"
  rates+=("$(sed -n 's/control_requests_per_s=//p' "/tmp/stkctl-rate-$$")")
done
rm -f "/tmp/stkctl-rate-$$"
a=$(printf '%s\n' "${alone[@]}" | median); b=$(printf '%s\n' "${busy[@]}" | median)
echo "bulk_alone_mbit_per_s=$a (runs ${alone[*]})"
echo "bulk_with_control_mbit_per_s=$b (runs ${busy[*]})"
echo "ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}')"
echo "control_requests=$requests control_requests_per_s=$(printf '%s\n' "${rates[@]}" | median)"

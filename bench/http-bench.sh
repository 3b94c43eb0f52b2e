#!/usr/bin/env bash
# The HTTP benchmark (root): wrk on the kernel host against (a) ASP.NET Core on the stack (`stack serve --services
# http` on a TAP, 192.0.2.2:80) and (b) the same app on Kestrel's own sockets in the same namespace (`stack
# web-kernel`, the kernel's TCP, 192.0.2.1:8080), in one run: requests/s and p99 latency of each, medians of
# BENCH_RUNS runs (default 3), and the stack's requests/s as a ratio of Kestrel-on-kernel's (target >= 0.5).
#   BENCH_SECONDS (default 10) per run; BENCH_CONNECTIONS (default 32) and BENCH_THREADS (default 2) for wrk.
# Everything stays in a namespace this script creates and deletes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
  echo "http-bench: needs root and /dev/net/tun" >&2
  exit 1
fi
seconds="${BENCH_SECONDS:-10}"
runs="${BENCH_RUNS:-3}"
conns="${BENCH_CONNECTIONS:-32}"
threads="${BENCH_THREADS:-2}"
scripts/install-deps
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
dotnet build src/Stack.Apps -c Release --nologo -v quiet >/dev/null
stack=(dotnet "$PWD/src/Stack.Apps/bin/Release/net10.0/stack.dll")

ns="stkhttp-$$"
pids=()
cleanup() {
  # SIGTERM lets both servers close their connections; what has not exited after 20 s is killed, and only then does
  # the namespace (and the stack's TAP) go.
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 200); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/tap-setup down --netns "$ns" >/dev/null 2>&1 || true
}
trap cleanup EXIT
inns() { ip netns exec "$ns" "$@"; }
wait_http() { # URL
  for _ in $(seq 1 200); do
    inns curl -s -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.1
  done
  echo "http-bench: nothing answers $1" >&2
  exit 1
}

echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine=$(nproc)cpu-$(awk '/MemTotal/ {printf "%.0fGiB", $2/1048576}' /proc/meminfo)-$(uname -r)"
echo "wrk=-t$threads -c$conns -d${seconds}s --latency"

scripts/tap-setup up --netns "$ns" --taps 1 >/dev/null
# Started without the inns function: $! must be the server itself (ip netns exec execs it), not a subshell
# whose child SIGTERM would never reach.
ip netns exec "$ns" "${stack[@]}" serve --tap tap0 --ip 192.0.2.2/24 --services http --log-level warning &
pids+=($!)
ip netns exec "$ns" "${stack[@]}" web-kernel --port 8080 --log-level warning &
pids+=($!)
wait_http http://192.0.2.2/
wait_http http://192.0.2.1:8080/

# One wrk run: "requests/s p99_ms".
measure() {
  local out rps p99
  out=$(inns wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency "$1")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/, "", v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v*=1000}; print v}' <<<"$out")
  echo "$rps $p99"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

stack_rps=(); stack_p99=(); kernel_rps=(); kernel_p99=()
for i in $(seq 1 "$runs"); do
  # Alternate which goes first, so neither always meets a warmer machine.
  for target in stack kernel; do
    if [ "$target" = stack ]; then read -r r p < <(measure http://192.0.2.2/); stack_rps+=("$r"); stack_p99+=("$p")
    else read -r r p < <(measure http://192.0.2.1:8080/); kernel_rps+=("$r"); kernel_p99+=("$p"); fi
    echo "run=$i target=$target requests_per_s=$r p99_ms=$p"
  done
done
s=$(printf '%s\n' "${stack_rps[@]}" | median); k=$(printf '%s\n' "${kernel_rps[@]}" | median)
sp=$(printf '%s\n' "${stack_p99[@]}" | median); kp=$(printf '%s\n' "${kernel_p99[@]}" | median)
echo "stack_requests_per_s=$s stack_p99_ms=$sp"
echo "kestrel_kernel_requests_per_s=$k kestrel_kernel_p99_ms=$kp"
echo "ratio_requests=$(awk -v s="$s" -v k="$k" 'BEGIN {printf "%.2f", s / k}')"

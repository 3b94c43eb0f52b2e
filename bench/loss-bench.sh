#!/usr/bin/env bash
# The loss benchmark (root): how long a bulk TCP transfer takes when the Linux kernel drops a share of the TCP
# segments it sends and receives (nftables `numgen random mod 100 < N drop` on the output and input hooks of the
# kernel host's namespace), for each loss rate, LOSS_RUNS times, printed as key=value lines:
#   a_tx  Linux to Linux over a veth pair (192.0.2.1 sends to 192.0.2.3's discard), the drops in the sender's
#         namespace: the same place as in (b).
#   a_rx  the same transfer with the drops in the receiver's namespace: the same place as in (c).
#   b     the kernel sends into `stack serve`'s discard (TCP 9) on a TAP; the drops are the kernel host's.
#   c     the kernel reads exactly LOSS_MIB from `stack serve`'s chargen (TCP 19), then closes.
# The kernel side of each is bench/Stack.TcpClients (`send`: write, half-close, wait for the server's end of file;
# `read`); each times from the connection's establishment to the end, under `timeout LOSS_TIMEOUT`: a run that
# overruns prints `timeout`, one that fails `fail`, and the script goes on. Per run: the seconds, the packets
# the drop rules dropped (out: from the dropping kernel, in: to it), for (b) and (c) the stack's retransmission
# timeouts (rto: `tcp.RetransmissionTimeouts`, which `stack serve` prints at shutdown: one `stack serve` per run),
# and the kernel's (kernel_rto: TcpExtTCPTimeouts in the namespace of 192.0.2.1, the sender but in (c)). Per rate: the median of each, b_over_a = b / a_tx and c_over_a = c / a_rx (a run that timed out or
# failed counts as slower than any other; a median that lands on one is `timeout` or `fail`, its ratio `n/a`).
#
# Why two Linux rows: a segment that the kernel's own output hook drops is not lost to its TCP (the send fails;
# the segment stays queued and goes again on the next ACK or the probe timer), while one dropped at the receiver's
# input is lost on the wire. So the kernel as sender in (b) meets the loss differently from the stack as sender in
# (c), and each has its Linux twin with the rule on the same side.
# Offloads are off (ethtool: TSO, GSO, GRO) on br0, tap0 and both veth ends, and `stack serve` runs with
# `--tap-offload off`; Linux TCP builds GSO super-packets all the same (it always does, and segments them later,
# after the hooks), so those devices get gso_max_segs 1 as well: every packet the rules see is one segment.
#
# Everything stays in three namespaces this script creates and deletes, on 192.0.2.0/24: stkloss-PID (br0 is the
# kernel host 192.0.2.1, the stack 192.0.2.2 on tap0 with a fixed MAC, one `stack serve` per run of (b) or (c)),
# stkloss-a-PID (192.0.2.1) and stkloss-b-PID (192.0.2.3, a kernel discard server) joined by a veth pair.
#   sudo bench/loss-bench.sh                      # 64 MiB, 1/3/10 %, 3 runs each (16 MiB: 8-13 min on 2 cores)
#   LOSS_MIB=4 LOSS_RUNS=1 bench/loss-bench.sh    # a quick look
#   LOSS_MIB (default 64) bytes per run, in MiB; LOSS_RATES (default "1 3 10") loss percentages, each way;
#   LOSS_RUNS (default 3) runs per case and rate; LOSS_TIMEOUT (default 120 + 8 s per MiB) bound on one run;
#   LOSS_CC (default bbr; cubic, reno) the congestion control of every sender: the stack's (`stack serve --cc`)
#   and the kernel's (net.ipv4.tcp_congestion_control in each of the three namespaces, never the host's).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
  echo "loss-bench: needs root and /dev/net/tun" >&2
  exit 1
fi
number() { [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || { echo "loss-bench: $1 wants a whole number from $3 to $4, not '$2'" >&2; exit 2; }; }
mib="${LOSS_MIB:-64}"; number LOSS_MIB "$mib" 1 1024
runs="${LOSS_RUNS:-3}"; number LOSS_RUNS "$runs" 1 99
bound="${LOSS_TIMEOUT:-$((120 + 8 * mib))}"; number LOSS_TIMEOUT "$bound" 10 86400
rates="${LOSS_RATES:-1 3 10}"
for rate in $rates; do number LOSS_RATES "$rate" 0 99; done
cc="${LOSS_CC:-bbr}"
case "$cc" in bbr|cubic) stack_cc="$cc" ;; reno) stack_cc=newreno ;; *) echo "loss-bench: LOSS_CC wants bbr, cubic or reno, not '$cc'" >&2; exit 2 ;; esac
bytes=$((mib << 20))

scripts/install-deps
dotnet build src/Stack.Apps -c Release --nologo -v quiet >/dev/null
dotnet build bench/Stack.TcpClients -c Release --nologo -v quiet >/dev/null
stack=(dotnet "$PWD/src/Stack.Apps/bin/Release/net10.0/stack.dll")
clients=(dotnet "$PWD/bench/Stack.TcpClients/bin/Release/net10.0/tcp-clients.dll")

ns="stkloss-$$"; nsa="stkloss-a-$$"; nsb="stkloss-b-$$"
spid=""; kpid=""
tmp=$(mktemp -d /tmp/stkloss.XXXXXX)
cleanup() {
  [ "$BASHPID" = "$$" ] || return 0 # a subshell that inherited the trap must not tear down the namespaces
  [ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null || true
  [ -n "$kpid" ] && kill "$kpid" 2>/dev/null || true
  wait 2>/dev/null || true
  scripts/tap-setup down --netns "$ns" >/dev/null 2>&1 || true
  ip netns del "$nsa" 2>/dev/null || true
  ip netns del "$nsb" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

inns() { local where="$1"; shift; timeout 120 ip netns exec "$where" "$@"; }
wait_for() { # NS HOST PORT: a TCP connect succeeds (retried: the drop rules may be in place)
  for _ in $(seq 1 100); do
    inns "$1" python3 -c "import socket; socket.create_connection(('$2', $3), timeout=1).close()" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "loss-bench: nothing listens on $2:$3" >&2
  return 1
}

# NS DEV: no TSO, GSO or GRO, and one segment per GSO packet (TCP makes them regardless of the features).
offloads_off() {
  local f
  for f in tso gso gro lro; do inns "$1" ethtool -K "$2" "$f" off 2>/dev/null || true; done
  inns "$1" ip link set dev "$2" gso_max_segs 1
}
offloads_check() { # NS DEV: prints what is still on, if anything
  local on segs
  on=$(inns "$1" ethtool -k "$2" | awk '/^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload): on/ {print $1}' | tr -d ':' | tr '\n' ' ')
  segs=$(inns "$1" ip -d link show dev "$2" | grep -o 'gso_max_segs [0-9]*' | awk '{print $2}')
  [ -z "$on" ] && [ "$segs" = 1 ] || echo "loss-bench: warning: $2 in $1 still has ${on:-no offloads on}, gso_max_segs ${segs:-?}" >&2
}

# The stack's LAN (br0 192.0.2.1, tap0 for the stack at .2) and the veth pair (192.0.2.1 in nsa, .3 in nsb) with
# a kernel discard server on .3.
setup_namespaces() {
  scripts/tap-setup up --netns "$ns" --taps 1 >/dev/null
  offloads_off "$ns" tap0; offloads_off "$ns" br0
  ip netns add "$nsa"; ip netns add "$nsb"
  ip link add vloss-a netns "$nsa" type veth peer name vloss-b netns "$nsb"
  ip -n "$nsa" addr add 192.0.2.1/24 dev vloss-a; ip -n "$nsa" link set vloss-a up; ip -n "$nsa" link set lo up
  ip -n "$nsb" addr add 192.0.2.3/24 dev vloss-b; ip -n "$nsb" link set vloss-b up; ip -n "$nsb" link set lo up
  offloads_off "$nsa" vloss-a; offloads_off "$nsb" vloss-b
  offloads_check "$nsa" vloss-a; offloads_check "$nsb" vloss-b
  local n
  for n in "$ns" "$nsa" "$nsb"; do inns "$n" sysctl -qw net.ipv4.tcp_congestion_control="$cc"; done
  ip netns exec "$nsb" "${clients[@]}" serve 192.0.2.3 >/dev/null &
  kpid=$!
  wait_for "$nsa" 192.0.2.3 13 || exit 1
}

# NS PEER PERCENT: a fresh table (counters at zero) in NS that drops PERCENT % of the TCP segments to and from PEER.
set_loss() {
  clear_loss "$1"
  [ "$3" -gt 0 ] || return 0
  inns "$1" nft -f - <<EOF
table inet stkloss {
    chain out {
        type filter hook output priority 0; policy accept;
        ip daddr $2 meta l4proto tcp numgen random mod 100 < $3 counter drop
    }
    chain in {
        type filter hook input priority 0; policy accept;
        ip saddr $2 meta l4proto tcp numgen random mod 100 < $3 counter drop
    }
}
EOF
}
clear_loss() { inns "$1" nft delete table inet stkloss 2>/dev/null || true; }
dropped() { # NS: "OUT IN", the packets the table dropped each way
  local counts
  counts=$(inns "$1" nft list table inet stkloss 2>/dev/null | grep -o 'counter packets [0-9]*' | awk '{print $3}' | tr '\n' ' ')
  echo "${counts:-0 0}"
}

kernel_rto() { # NS: the kernel's retransmission timeouts in NS so far
  inns "$1" nstat -asz TcpExtTCPTimeouts | awk '$1 == "TcpExtTCPTimeouts" {print $2}'
}

start_stack() { # fails if the stack does not answer
  ip netns exec "$ns" "${stack[@]}" serve --tap tap0 --ip 192.0.2.2/24 --mac 02:00:00:00:00:02 --tap-offload off --cc "$stack_cc" \
    --services discard,chargen,daytime --log-level warning 2>"$tmp/serve.err" &
  spid=$!
  wait_for "$ns" 192.0.2.2 13 || return 1
  offloads_check "$ns" tap0; offloads_check "$ns" br0
}
stop_stack() { # KEY: SIGTERM, then reads the stack's retransmission timeouts into $rto (`?` if it died before)
  local status=0
  kill -TERM "$spid" 2>/dev/null || true
  for _ in $(seq 1 300); do # up to 30 s to exit (a zombie has exited), then SIGKILL
    [[ "$(awk '{print $3}' "/proc/$spid/stat" 2>/dev/null)" =~ ^(Z|)$ ]] && break
    sleep 0.1
  done
  kill -KILL "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || status=$?
  spid=""
  rto=$(sed -n 's/^tcp\.RetransmissionTimeouts=//p' "$tmp/serve.err")
  rto="${rto:-?}"
  if [ "$status" -ne 0 ]; then # a clean stop exits 0: keep what it said
    cp "$tmp/serve.err" "/tmp/loss-bench-$$-$1.err"
    echo "loss-bench: stack serve exited with $status in $1; its stderr: /tmp/loss-bench-$$-$1.err" >&2
    head -n 5 "$tmp/serve.err" >&2
  fi
}

# NS MODE HOST PORT: one timed transfer of $bytes; prints its seconds, `timeout` or `fail`.
timed() {
  local out rc=0
  out=$(timeout -k 10 "$bound" ip netns exec "$1" "${clients[@]}" "$2" "$3" "$4" "$bytes" 2>"$tmp/client.err") || rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo timeout; return; fi
  local seconds
  seconds=$(sed -n 's/^seconds=//p' <<<"$out")
  if [ "$rc" -ne 0 ] || [ -z "$seconds" ]; then
    echo "loss-bench: $2 $3:$4 failed (exit $rc): $(head -c 300 "$tmp/client.err")" >&2
    echo fail
    return
  fi
  echo "$seconds"
}

# CASE RATE RUN: one run of one case; prints its key=value lines and leaves its seconds in $result.
one_run() {
  local key="loss$2_$1_run$3" rto="" drops sender="$nsa" before kernel
  case "$1" in
    a_tx) clear_loss "$nsb"; set_loss "$nsa" 192.0.2.3 "$2" ;;
    a_rx) clear_loss "$nsa"; set_loss "$nsb" 192.0.2.1 "$2" ;;
    b|c) set_loss "$ns" 192.0.2.2 "$2"; sender="$ns" ;;
  esac
  before=$(kernel_rto "$sender")
  case "$1" in
    a_tx) result=$(timed "$nsa" send 192.0.2.3 9); drops=$(dropped "$nsa") ;;
    a_rx) result=$(timed "$nsa" send 192.0.2.3 9); drops=$(dropped "$nsb") ;;
    b|c)
      if ! start_stack; then result=fail
      elif [ "$1" = b ]; then result=$(timed "$ns" send 192.0.2.2 9)
      else result=$(timed "$ns" read 192.0.2.2 19); fi
      drops=$(dropped "$ns")
      stop_stack "$key" ;;
  esac
  kernel=$(( $(kernel_rto "$sender") - before ))
  echo "${key}_s=$result"
  echo "${key}_dropped_out=${drops%% *}"
  echo "${key}_dropped_in=$(awk '{print $2}' <<<"$drops")"
  [ -z "$rto" ] || echo "${key}_rto=$rto"
  echo "${key}_kernel_rto=$kernel"
}

# VALUES...: the median; `timeout` and `fail` sort above every number, and a median that lands on one is `timeout`
# (`fail` if no run timed out).
median() {
  local sorted n slow=fail
  printf '%s\n' "$@" | grep -qx timeout && slow=timeout
  sorted=$(printf '%s\n' "$@" | sed -E 's/^(timeout|fail)$/inf/' | sort -g)
  n=$#
  if [ $((n % 2)) -eq 1 ]; then
    sed -n "$((n / 2 + 1))p" <<<"$sorted" | sed "s/^inf$/$slow/"
  else
    sed -n "$((n / 2)),$((n / 2 + 1))p" <<<"$sorted" | awk -v slow="$slow" '/inf/ {bad = 1} {s += $1} END {if (bad) print slow; else printf "%.3f\n", s / 2}'
  fi
}
ratio() { # X Y: X / Y, or n/a unless both are numbers
  if [[ "$1" =~ ^[0-9.]+$ && "$2" =~ ^[0-9.]+$ ]]; then awk -v x="$1" -v y="$2" 'BEGIN {printf "%.2f\n", x / y}'; else echo n/a; fi
}

echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine=$(nproc)cpu-$(awk '/MemTotal/ {printf "%.0fGiB", $2/1048576}' /proc/meminfo)-$(uname -r)"
echo "mib=$mib"
echo "runs=$runs"
echo "timeout_s=$bound"
echo "congestion_control=$cc"
setup_namespaces

cases=(a_tx a_rx b c)
for rate in $rates; do
  declare -A seconds=()
  for run in $(seq 1 "$runs"); do
    for c in "${cases[@]}"; do # interleaved, so that drift in the machine's load touches every case alike
      one_run "$c" "$rate" "$run"
      seconds[$c]="${seconds[$c]:-} $result"
    done
  done
  declare -A med=()
  for c in "${cases[@]}"; do
    # shellcheck disable=SC2086 # the runs' values, one word each
    med[$c]=$(median ${seconds[$c]})
    echo "loss${rate}_${c}_median_s=${med[$c]}"
  done
  echo "loss${rate}_b_over_a=$(ratio "${med[b]}" "${med[a_tx]}")"
  echo "loss${rate}_c_over_a=$(ratio "${med[c]}" "${med[a_rx]}")"
  clear_loss "$ns"; clear_loss "$nsa"; clear_loss "$nsb"
  unset seconds med
done

#!/usr/bin/env bash
# Live-capture flood benchmark: how well `layerscope capture` keeps up with
# a flood of small packets, beside tcpdump, in one run. A benchmark, not a
# test: it prints figures and fails only when it cannot measure.
#
# Two network namespaces, created here and deleted on exit (also on failure
# or Ctrl-C), are joined by a veth pair (10.213.0.1 <-> 10.213.0.2). A pcap
# of PACKETS 60-byte UDP frames from the sender's veth to the receiver's is
# written by python3 and replayed inside the sender namespace with tcpreplay
# (--topspeed, or --pps=RATE). In the receiver namespace each capturer
# listens on its veth with the same kernel buffer (-B BUFFER_KIB):
#
#   tcpdump       tcpdump -i vrx -B KIB -w FILE -n
#   ls-write      layerscope capture -i vrx -B KIB -w FILE     (rows decoded too)
#   ls-qwrite     layerscope capture -i vrx -B KIB -q -w FILE  (tcpdump -w's work)
#   ls-quiet      layerscope capture -i vrx -B KIB -q
#   ls-decode     layerscope capture -i vrx -B KIB > /dev/null   (full decode)
#   tcpdump-imm   tcpdump -i vrx -B KIB --immediate-mode -w FILE -n
#
# Like tcpdump, layerscope hands frames over one by one (libpcap's immediate
# mode, MTU-sized ring slots) only when rows go to a terminal or when asked
# (--immediate-mode); -w, -q and rows into a pipe take them in blocks
# (TPACKET_V3). tcpdump --immediate-mode is measured too, to show what the
# mode costs.
#
# Each run waits until the capturer is ready ("listening on" / "capturing
# on" on stderr), replays, gives it GRACE seconds to drain, stops it with
# SIGINT and parses its closing counters (captured / received by filter /
# dropped by kernel). For -w runs the packets in the written file are
# counted (capinfos, else tcpdump -r) and checked against "captured".
# The capturers take turns, REPEAT rounds; every run is printed, then the
# medians and the ratio of each layerscope mode's kernel drops to tcpdump's
# (and to tcpdump --immediate-mode's).
#
# "sent" is tcpreplay's successful packets, "replay_pps" the rate it
# reports; "arrived" is the receiver veth's rx_packets delta (frames the
# kernel delivered to the capture taps; sent - arrived were lost in the
# veth/backlog before any capturer could see them, whichever capturer runs).
#
# usage (as root): scripts/flood_bench.sh [PACKETS] [RATE_PPS|max] [BUFFER_KIB]
#   defaults: 300000 packets, max rate (tcpreplay --topspeed), 2048 KiB
# environment:
#   LAYERSCOPE=path  binary (default ${CARGO_TARGET_DIR:-target}/release/layerscope)
#   REPEAT=n         rounds of every capturer (default 3)
#   GRACE=secs       wait after the replay before SIGINT (default 1)
#   CAPTURERS="..."  subset/order of (default all): tcpdump ls-write ls-qwrite ls-quiet ls-decode tcpdump-imm
#   KEEP=1           keep the work directory (pcaps, logs)
# Runtime with the defaults: about 1-2 minutes on 2 cores. It never builds.
#
# Run it in the foreground (Ctrl-C or SIGTERM clean up). A script started
# as a background job by another script has SIGINT ignored; stop it with
# SIGTERM then.
#
# Network safety: nothing is sent outside the two namespaces made here; the
# only sender is tcpreplay on the sender namespace's veth, bounded by count
# (the pcap) and by `timeout`; every capturer runs under `timeout` as well.
set -euo pipefail
cd "$(dirname "$0")/.."

n="${1:-300000}"
rate="${2:-max}"
buf="${3:-2048}"
repeat="${REPEAT:-3}"
grace="${GRACE:-1}"
capturers="${CAPTURERS:-tcpdump ls-write ls-qwrite ls-quiet ls-decode tcpdump-imm}"
ls_bin="${LAYERSCOPE:-${CARGO_TARGET_DIR:-target}/release/layerscope}"

die() { echo "flood_bench: $*" >&2; exit 1; }
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "PACKETS must be a positive integer (got '$n')"
[[ "$rate" == max || "$rate" =~ ^[1-9][0-9]*$ ]] || die "RATE must be 'max' or packets/s (got '$rate')"
[[ "$buf" =~ ^[1-9][0-9]*$ ]] || die "BUFFER_KIB must be a positive integer (got '$buf')"
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer"
[ "$(id -u)" = 0 ] || die "must run as root (it creates network namespaces)"
for t in ip tcpdump tcpreplay python3 timeout; do
  command -v "$t" > /dev/null || die "$t not found (apt-get install tcpdump tcpreplay iproute2 python3)"
done
[ -x "$ls_bin" ] || die "layerscope binary not found at $ls_bin (build it, or set LAYERSCOPE)"
ls_bin="$(cd "$(dirname "$ls_bin")" && pwd)/$(basename "$ls_bin")"
for c in $capturers; do
  case "$c" in tcpdump | tcpdump-imm | ls-write | ls-qwrite | ls-quiet | ls-decode) ;; *) die "unknown capturer '$c'" ;; esac
done

# --- namespaces, cleaned up whatever happens -------------------------------
tx="lsfb-tx-$$"
rx="lsfb-rx-$$"
tx_if=vtx
rx_if=vrx
tx_ip=10.213.0.1
rx_ip=10.213.0.2
udp_port=9
work="$(mktemp -d /var/tmp/flood_bench.XXXXXX)"
pids=()     # background processes still running (sink socket, current capturer)

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2> /dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2> /dev/null || true
  done
  ip netns del "$tx" 2> /dev/null || true   # deleting a namespace deletes its veth end
  ip netns del "$rx" 2> /dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$tx"
ip netns add "$rx"
for ns in "$tx" "$rx"; do
  # No IPv6: no router solicitations, MLD or DAD frames mixed into the counts.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
# The pair is created inside the sender namespace with its peer placed
# directly in the receiver namespace: it never exists in the host's.
ip -n "$tx" link add "$tx_if" type veth peer name "$rx_if" netns "$rx"
ip -n "$tx" addr add "$tx_ip/24" dev "$tx_if"
ip -n "$rx" addr add "$rx_ip/24" dev "$rx_if"
ip -n "$tx" link set "$tx_if" arp off up
ip -n "$rx" link set "$rx_if" arp off up
tx_mac=$(ip netns exec "$tx" cat "/sys/class/net/$tx_if/address")
rx_mac=$(ip netns exec "$rx" cat "/sys/class/net/$rx_if/address")

# A socket bound to the destination port swallows the flood (it is never
# read; a full buffer drops), so the receiver answers nothing: no ICMP port
# unreachable in the capture. Bounded by timeout, killed on exit.
ip netns exec "$rx" timeout 900 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind((sys.argv[1], int(sys.argv[2])))
time.sleep(900)
' "$rx_ip" "$udp_port" &
pids+=($!)

# --- the flood --------------------------------------------------------------
pcap="$work/flood.pcap"
python3 - "$pcap" "$n" "$tx_mac" "$rx_mac" "$tx_ip" "$rx_ip" "$udp_port" << 'EOF'
import socket, struct, sys

path, n, smac, dmac, sip, dip, dport = sys.argv[1:8]
n, dport = int(n), int(dport)
mac = lambda s: bytes.fromhex(s.replace(":", ""))
eth = mac(dmac) + mac(smac) + b"\x08\x00"
src, dst = socket.inet_aton(sip), socket.inet_aton(dip)
sport, paylen = 40000, 18                      # 14 + 20 + 8 + 18 = 60-byte frames
udplen, iplen = 8 + paylen, 20 + 8 + paylen

def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s

def words(b):
    return sum(struct.unpack("!%dH" % (len(b) // 2), b))

# Checksums: constant parts summed once, the varying words added per packet.
ip_base = words(struct.pack("!BBHHHBBH4s4s", 0x45, 0, iplen, 0, 0x4000, 64, 17, 0, src, dst))
udp_base = words(src + dst + struct.pack("!HH", 17, udplen)) + \
           words(struct.pack("!HHHH", sport, dport, udplen, 0)) + words(b"layerscope" + b"\0\0")

with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    out = []
    for i in range(n):
        ipid = i & 0xFFFF
        ipck = 0xFFFF - fold(ip_base + ipid)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, iplen, ipid, 0x4000, 64, 17, ipck, src, dst)
        payload = struct.pack("!I", i) + b"layerscope" + b"\0\0" + b"\0\0"
        # payload: 4-byte sequence number, "layerscope", 4 zero bytes (18 bytes)
        uck = 0xFFFF - fold(udp_base + (i >> 16) + (i & 0xFFFF))
        udp = struct.pack("!HHHH", sport, dport, udplen, uck or 0xFFFF)
        frame = eth + ip + udp + payload
        out.append(struct.pack("<IIII", 1_700_000_000 + i // 1_000_000, i % 1_000_000, 60, 60) + frame)
        if len(out) == 10000:
            f.write(b"".join(out)); out = []
    f.write(b"".join(out))
EOF
if command -v capinfos > /dev/null; then
  count_file() { capinfos -M -T -r -c "$1" 2> /dev/null | cut -f2; }
else
  count_file() { tcpdump -r "$1" -nn 2> /dev/null | wc -l; }
fi
[ "$(count_file "$pcap")" = "$n" ] || die "generated pcap does not hold $n packets"

if [ "$rate" = max ]; then
  rate_opt=(--topspeed)
  replay_limit=$((30 + n / 20000))       # at least 20 kpps, or the replay is cut short
else
  rate_opt=(--pps="$rate")
  replay_limit=$((30 + 2 * n / rate))
fi
cap_limit=$((replay_limit + 60))

rx_packets() { ip netns exec "$rx" cat "/sys/class/net/$rx_if/statistics/rx_packets"; }

# --- one capture run --------------------------------------------------------
rows="$work/rows.tsv"
: > "$rows"
problems=()

run_one() { # capturer, round
  local c="$1" r="$2" base="$work/$1.$2" cmd out=/dev/null file="" ready_re
  case "$c" in
    tcpdump)     cmd=(tcpdump -i "$rx_if" -B "$buf" -w "$base.pcap" -n); file="$base.pcap"; ready_re='listening on' ;;
    tcpdump-imm) cmd=(tcpdump -i "$rx_if" -B "$buf" --immediate-mode -w "$base.pcap" -n); file="$base.pcap"; ready_re='listening on' ;;
    ls-write)    cmd=("$ls_bin" capture -i "$rx_if" -B "$buf" -w "$base.pcap"); file="$base.pcap"; ready_re='capturing on' ;;
    ls-qwrite)   cmd=("$ls_bin" capture -i "$rx_if" -B "$buf" -q -w "$base.pcap"); file="$base.pcap"; ready_re='capturing on' ;;
    ls-quiet)    cmd=("$ls_bin" capture -i "$rx_if" -B "$buf" -q); ready_re='capturing on' ;;
    ls-decode)   cmd=("$ls_bin" capture -i "$rx_if" -B "$buf"); ready_re='capturing on' ;;
  esac
  # Background jobs of a script start with SIGINT ignored; restore the
  # default so the capturer sees SIGINT as from a terminal's Ctrl-C. timeout
  # (-s INT, then KILL) bounds it and forwards our SIGINT.
  env --default-signal=INT ip netns exec "$rx" \
    timeout -s INT -k 10 "$cap_limit" "${cmd[@]}" > "$out" 2> "$base.err" &
  local pid=$! i stopped=yes note=""
  pids+=("$pid")
  for ((i = 0; i < 200; i++)); do
    grep -q "$ready_re" "$base.err" 2> /dev/null && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.05
  done
  if ! grep -q "$ready_re" "$base.err"; then
    kill -INT "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    pids=("${pids[0]}")
    problems+=("$c round $r: never became ready: $(tr '\n' ' ' < "$base.err")")
    printf '%s\t%s\t-\t-\t-\t-\t-\t-\t-\tnot-ready\t-\n' "$c" "$r" >> "$rows"
    return
  fi
  sleep 0.3
  local before after sent pps
  before=$(rx_packets)
  ip netns exec "$tx" timeout -s INT -k 5 "$replay_limit" \
    tcpreplay --intf1="$tx_if" "${rate_opt[@]}" "$pcap" > "$base.replay" 2>&1 ||
    problems+=("$c round $r: tcpreplay exited non-zero (see its log): $(grep -iE 'error|warn|fatal' "$base.replay" | head -2 | tr '\n' ' ')")
  sleep "$grace"
  after=$(rx_packets)
  sent=$(sed -n 's/.*Successful packets:[[:space:]]*\([0-9]*\).*/\1/p' "$base.replay" | head -1)
  pps=$(sed -n 's/^Rated:.*, \([0-9.]*\) pps.*/\1/p' "$base.replay" | head -1)
  kill -INT "$pid" 2> /dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2> /dev/null; then
    stopped=no
    problems+=("$c round $r: still running 5 s after SIGINT; sent SIGTERM")
    kill -TERM "$pid" 2> /dev/null || true
    sleep 2
    kill -KILL "$pid" 2> /dev/null || true
  fi
  local rc=0
  wait "$pid" 2> /dev/null || rc=$?
  pids=("${pids[0]}")     # the capturer is reaped: keep only the sink socket
  [ "$rc" = 0 ] || note="exit $rc"
  [ "$stopped" = yes ] || note="${note:+$note, }no stop on INT"
  local cap recv drop written="-"
  cap=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' "$base.err" | tail -1)
  recv=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter$/\1/p' "$base.err" | tail -1)
  drop=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$base.err" | tail -1)
  [ -n "$cap" ] || { cap="-"; problems+=("$c round $r: no 'packets captured' line on stderr"); }
  [ -n "$recv" ] || recv="-"
  [ -n "$drop" ] || { drop="-"; problems+=("$c round $r: no 'dropped by kernel' line on stderr"); }
  if [ -n "$file" ]; then
    if [ -s "$file" ]; then written=$(count_file "$file"); else written=0; fi
    if [ "$written" != "$cap" ]; then
      note="${note:+$note, }file!=captured"
      problems+=("$c round $r: file holds $written packets, summary says $cap captured")
    fi
    rm -f "$file"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$c" "$r" "${sent:--}" "$((after - before))" "$cap" "$recv" "$drop" "$written" "$stopped" "${note:-ok}" "${pps%.*}" >> "$rows"
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9]+$/ && b > 0) printf "%.2f", 100 * a / b; else printf "-" }'; }

echo "flood_bench: $n UDP frames of 60 bytes, rate ${rate}$([ "$rate" = max ] || echo ' pps'), -B $buf KiB, $repeat round(s)"
echo "  layerscope: $ls_bin ($("$ls_bin" --version 2> /dev/null | head -1))"
echo "  $(tcpdump --version 2>&1 | head -1), $(tcpdump --version 2>&1 | sed -n 2p), kernel $(uname -r), $(nproc) CPUs"
echo

# Capturers take turns, so machine noise is spread over all of them.
for ((r = 1; r <= repeat; r++)); do
  for c in $capturers; do
    run_one "$c" "$r"
  done
done

# --- report -----------------------------------------------------------------
fmt='%-11s %5s %9s %10s %9s %9s %9s %9s %9s %8s  %s\n'
printf "$fmt" capturer round sent replay_pps arrived captured recv_filt dropped written "%capt" note
while IFS=$'\t' read -r c r sent arr cap recv drop written stopped note pps; do
  printf "$fmt" "$c" "$r" "$sent" "${pps:--}" "$arr" "$cap" "$recv" "$drop" "$written" "$(pct "$cap" "$sent")" "$note"
done < "$rows"

median() { # capturer, column (1-based in rows.tsv); median of the numeric values
  awk -F'\t' -v c="$1" -v k="$2" '$1 == c && $k ~ /^[0-9]+$/ { print $k }' "$rows" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo
ratio() { # layerscope drops, reference drops
  awk -v l="$1" -v t="$2" 'BEGIN {
    if (l !~ /^[0-9]+$/ || t !~ /^[0-9]+$/) print "-";
    else if (t == 0) print (l == 0 ? "both_0" : "inf");
    else printf "%.2fx\n", l / t }'
}
spread() { # capturer: mean and range of kernel drops over the rounds
  awk -F'\t' -v c="$1" '$1 == c && $7 ~ /^[0-9]+$/ { n++; t += $7; if (n == 1 || $7 < lo) lo = $7; if ($7 > hi) hi = $7 }
    END { if (n) printf "%.0f (%d-%d)", t / n, lo, hi; else print "-" }' "$rows"
}
echo "medians over $repeat round(s); drops_vs_X = median kernel drops / X's median kernel drops;"
echo "mean_drops: the mean over the rounds (fewest-most): a few tens of drops in a million vary that much from round to round"
fmt2='%-11s %9s %9s %9s %9s %9s %8s  %-17s %-20s %s\n'
printf "$fmt2" capturer sent arrived captured dropped written "%capt" drops_vs_tcpdump drops_vs_tcpdump_imm mean_drops
td_drop=$(median tcpdump 7)
ti_drop=$(median tcpdump-imm 7)
for c in $capturers; do
  s=$(median "$c" 3); a=$(median "$c" 4); k=$(median "$c" 5); d=$(median "$c" 7); w=$(median "$c" 8)
  case "$c" in
    tcpdump*) r1="-"; r2="-" ;;
    *) r1=$(ratio "$d" "$td_drop"); r2=$(ratio "$d" "$ti_drop") ;;
  esac
  printf "$fmt2" "$c" "$s" "$a" "$k" "$d" "$w" "$(pct "$k" "$s")" "$r1" "$r2" "$(spread "$c")"
done

if [ "${#problems[@]}" -gt 0 ]; then
  echo
  echo "problems:"
  printf '  %s\n' "${problems[@]}"
fi

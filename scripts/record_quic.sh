#!/usr/bin/env bash
# Records fixtures/quic/*.pcap and fixtures/ssdp/ssdp.pcap from real peers
# talking across two network namespaces joined by a veth pair:
#
#   quic/http3.pcap  aioquic client -> aioquic server, QUIC v1: HTTP/3 (ALPN
#                    h3, SNI www.lab.test, two GETs) over IPv4, then a second
#                    connection with ALPN layerscope-echo over IPv6
#   quic/v2.pcap     the same HTTP/3 client with QUIC version 2 (RFC 9369)
#   ssdp/ssdp.pcap   a UPnP device announcing itself (NOTIFY alive/byebye to
#                    239.255.255.250) and answering a multicast M-SEARCH (200)
#
#   sudo scripts/record_quic.sh [FIXTURES_DIR]     (default: fixtures)
#   scripts/record_quic.sh --peers SRV_NS CLI_NS OUT.pcap
#       (only the QUIC v1 exchange, between two existing namespaces whose
#        veths are veth0 10.99.0.1/fd99::1 and veth1 10.99.0.2/fd99::2;
#        used by the live test)
#
# Needs root, tcpdump, ethtool and python3 with venv; aioquic comes from
# PyPI through scripts/quic_venv.sh. Traffic stays inside the namespaces
# (10.99.0.0/24, fd99::/64), which are deleted on exit, also on failure.
# Every step is bounded by `timeout`; a run takes ~15 seconds.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "record_quic.sh: run as root (sudo)" >&2; exit 1; }
PY=$(bash "$HERE/quic_venv.sh")
PEER="$HERE/quic_peer.py"
SYSPY=python3
[ -x /usr/bin/python3 ] && SYSPY=/usr/bin/python3 # Debian's, not a version manager's shim
T=$(mktemp -d /tmp/ls-quic.XXXXXX)
chmod 755 "$T"
PIDS=()
SRV= CLI= OWN_NS=0
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  if [ "$OWN_NS" = 1 ]; then
    ip netns pids "$SRV" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns pids "$CLI" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$SRV" 2>/dev/null
    ip netns del "$CLI" 2>/dev/null
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

s() { ip netns exec "$SRV" "$@"; }
c() { ip netns exec "$CLI" "$@"; }

# dump FILE FILTER: tcpdump on the client's veth until stop_dump.
DUMP_PID=
dump() {
  rm -f "$1"
  # Not through c(): $! must be the capture itself, not a subshell.
  ip netns exec "$CLI" timeout 120 tcpdump -i veth1 -U -n -w "$1" "$2" 2>"$T/dump.err" &
  DUMP_PID=$!
  PIDS+=("$DUMP_PID")
  for _ in $(seq 100); do
    grep -q "listening on" "$T/dump.err" && return 0
    sleep 0.1
  done
  echo "tcpdump did not start:" >&2
  cat "$T/dump.err" >&2
  exit 1
}
stop_dump() {
  sleep 0.5
  kill -TERM "$DUMP_PID" # (a background job ignores SIGINT)
  wait "$DUMP_PID" || true
  printf '   %-16s %s\n' "$(basename "$1")" "$(grep -E 'packets captured' "$T/dump.err")"
}
# server: starts the QUIC server in the server namespace, waits until bound.
server() {
  ip netns exec "$SRV" timeout 120 "$PY" "$PEER" server --cert "$T" --host :: --port 4433 --timeout 110 \
    >"$T/server.out" 2>"$T/server.err" &
  PIDS+=($!)
  for _ in $(seq 100); do
    grep -q listening "$T/server.out" && return 0
    sleep 0.1
  done
  echo "QUIC server did not start:" >&2
  cat "$T/server.err" >&2
  exit 1
}
# The QUIC v1 exchange: HTTP/3 over IPv4, the echo protocol over IPv6.
quic_v1() {
  dump "$1" "udp port 4433"
  c timeout 30 "$PY" "$PEER" client --host 10.99.0.1 --path / --path /hello.txt
  c timeout 30 "$PY" "$PEER" client --host fd99::1 --alpn layerscope-echo \
    --message "hello over QUIC" --message "second stream"
  stop_dump "$1"
}

"$PY" "$PEER" cert "$T"

if [ "${1:-}" = --peers ]; then
  [ $# -eq 4 ] || { echo "usage: record_quic.sh --peers SRV_NS CLI_NS OUT.pcap" >&2; exit 2; }
  SRV=$2 CLI=$3
  server
  quic_v1 "$4"
  exit 0
fi

OUT=$(realpath -m "${1:-$HERE/../fixtures}")
OWN_NS=1
SRV=ls-quic-srv-$$
CLI=ls-quic-cli-$$
ip netns add "$SRV"
ip netns add "$CLI"
ip link add veth0 netns "$SRV" type veth peer name veth1 netns "$CLI"
for ns in "$SRV" "$CLI"; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0 \
    net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.accept_ra=0
done
ip -n "$SRV" link set veth0 mtu 1500 up
ip -n "$CLI" link set veth1 mtu 1500 up
# As on a real wire: no segmentation offload and real checksums on the
# sender's frames.
for pair in "$SRV:veth0" "$CLI:veth1"; do
  ip netns exec "${pair%%:*}" ethtool -K "${pair#*:}" tx off tso off gso off gro off >/dev/null 2>&1 ||
    ip netns exec "${pair%%:*}" ethtool -K "${pair#*:}" tx off gso off >/dev/null
done
ip -n "$SRV" addr add 10.99.0.1/24 dev veth0
ip -n "$SRV" addr add fd99::1/64 dev veth0 nodad
ip -n "$CLI" addr add 10.99.0.2/24 dev veth1
ip -n "$CLI" addr add fd99::2/64 dev veth1 nodad
# Multicast (SSDP) leaves through the veth.
ip -n "$SRV" route add 224.0.0.0/4 dev veth0
ip -n "$CLI" route add 224.0.0.0/4 dev veth1
sleep 2 # let link-local DAD and the first MLD reports pass
c timeout 10 ping -n -c1 -W2 10.99.0.1 >/dev/null
c timeout 10 ping -6 -n -c1 -W2 fd99::1 >/dev/null
mkdir -p "$OUT/quic" "$OUT/ssdp"

echo "== quic v1"
server
quic_v1 "$OUT/quic/http3.pcap"

echo "== quic v2"
dump "$OUT/quic/v2.pcap" "udp port 4433"
c timeout 30 "$PY" "$PEER" client --host 10.99.0.1 --quic-version 2 --path /
stop_dump "$OUT/quic/v2.pcap"

echo "== ssdp"
cat >"$T/device.py" <<'EOF'
"""A UPnP root device: NOTIFY ssdp:alive, answer M-SEARCH, NOTIFY ssdp:byebye."""
import socket, struct, time
GROUP = ("239.255.255.250", 1900)
USN = "uuid:6c6f6361-6c00-4000-8000-00005e005301"
COMMON = ("HOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n"
          "LOCATION: http://10.99.0.1:49152/rootDesc.xml\r\n"
          "SERVER: Linux/6.1 UPnP/1.1 layerscope-fixture/1.0\r\n")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 1900))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton(GROUP[0]), socket.inet_aton("10.99.0.1")))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.99.0.1"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
def notify(nts):
    s.sendto(("NOTIFY * HTTP/1.1\r\n" + COMMON + "NT: upnp:rootdevice\r\nNTS: %s\r\n"
              "USN: %s::upnp:rootdevice\r\n\r\n" % (nts, USN)).encode(), GROUP)
notify("ssdp:alive")
print("ready", flush=True)
s.settimeout(10)
data, peer = s.recvfrom(2048)
assert data.startswith(b"M-SEARCH"), data
time.sleep(0.05)
s.sendto(("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
          "LOCATION: http://10.99.0.1:49152/rootDesc.xml\r\n"
          "SERVER: Linux/6.1 UPnP/1.1 layerscope-fixture/1.0\r\nST: upnp:rootdevice\r\n"
          "USN: %s::upnp:rootdevice\r\n\r\n" % USN).encode(), peer)
time.sleep(0.2)
notify("ssdp:byebye")
EOF
cat >"$T/search.py" <<'EOF'
"""A control point: one multicast M-SEARCH, prints the answers for 1.5 s."""
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.99.0.2"))
s.sendto(b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n'
         b'MX: 1\r\nST: upnp:rootdevice\r\nUSER-AGENT: Linux/6.1 UPnP/1.1 layerscope-fixture/1.0\r\n\r\n',
         ("239.255.255.250", 1900))
s.settimeout(0.5)
end = time.time() + 1.5
while time.time() < end:
    try:
        data, peer = s.recvfrom(2048)
        print(peer[0], data.split(b"\r\n")[0].decode())
    except socket.timeout:
        pass
EOF
dump "$OUT/ssdp/ssdp.pcap" "udp port 1900"
ip netns exec "$SRV" timeout 20 "$SYSPY" "$T/device.py" >"$T/device.out" 2>&1 &
DEV=$!
PIDS+=("$DEV")
for _ in $(seq 50); do grep -q ready "$T/device.out" && break; sleep 0.1; done
c timeout 10 "$SYSPY" "$T/search.py"
wait "$DEV" || { cat "$T/device.out" >&2; exit 1; }
stop_dump "$OUT/ssdp/ssdp.pcap"

echo "== versions"
{
  echo "aioquic: $("$PY" -c 'import aioquic; print(aioquic.__version__)')"
  echo "python: $("$PY" --version)"
  echo "kernel: $(uname -r)"
  echo "tcpdump: $(tcpdump --version 2>&1 | head -1)"
}
echo "done: $OUT/quic $OUT/ssdp"

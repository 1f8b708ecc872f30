#!/usr/bin/env bash
# Records fixtures/vxlan/vxlan.pcap from real traffic: two network
# namespaces joined by a veth pair (the underlay, 10.98.0.1/2), a VXLAN
# device (VNI 42, UDP 4789) over it in each (the overlay, 10.97.0.1/2),
# then ping and a TCP exchange over the overlay, captured with tcpdump on
# the underlay veth. Needs root and the vxlan kernel module.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-fixtures/vxlan/vxlan.pcap}
A=lsvxa$$ B=lsvxb$$
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$A"
ip netns add "$B"
ip link add va$$ netns "$A" type veth peer name vb$$ netns "$B"
a() { ip netns exec "$A" "$@"; }
b() { ip netns exec "$B" "$@"; }
a ip link set lo up; b ip link set lo up
a ip addr add 10.98.0.1/24 dev va$$; a ip link set va$$ up
b ip addr add 10.98.0.2/24 dev vb$$; b ip link set vb$$ up
a ip link add vx0 type vxlan id 42 remote 10.98.0.2 local 10.98.0.1 dstport 4789 dev va$$
b ip link add vx0 type vxlan id 42 remote 10.98.0.1 local 10.98.0.2 dstport 4789 dev vb$$
a ip addr add 10.97.0.1/24 dev vx0; a ip link set vx0 up
b ip addr add 10.97.0.2/24 dev vx0; b ip link set vx0 up
mkdir -p "$(dirname "$OUT")"
# `ip netns exec` execs tcpdump, so $! is tcpdump itself.
ip netns exec "$A" tcpdump -i va$$ -U -w "$OUT" -s 0 udp port 4789 2>/dev/null &
PID=$!
sleep 1
a ping -c 3 -i 0.2 10.97.0.2 >/dev/null
# A TCP exchange: a one-shot server in B, a client in A.
b python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.97.0.2", 7007)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()' &
SRV=$!
sleep 0.5
a python3 -c '
import socket
c = socket.create_connection(("10.97.0.2", 7007), timeout=10)
c.sendall(b"hello over vxlan"); c.recv(100); c.close()'
wait "$SRV"
# And a UDP datagram, so the inner conversation has its own udp.stream.
a python3 -c '
import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"datagram", ("10.97.0.2", 7008))'
sleep 1
kill -INT "$PID"; wait "$PID" 2>/dev/null || true; PID=
echo "wrote $OUT: $(capinfos -c -M "$OUT" | awk '/Number of packets/ {print $NF}') packets"

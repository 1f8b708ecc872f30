#!/usr/bin/env bash
# Records the project's realistic fixtures (fixtures/live/*.pcap) from real
# Debian clients and servers talking across two network namespaces joined by
# a veth pair. Each capture is made by `layerscope capture -w` inside the
# server namespace, with a BPF filter that keeps only the fixture's protocol.
#
#   sudo scripts/record_fixtures.sh [OUTDIR]     (default: fixtures/live)
#
# Needs root. Installs what is missing with apt-get. Traffic stays inside the
# namespaces (10.99.0.0/24, fd99::/64), which are deleted on exit, also on
# failure. Every step is bounded by `timeout`; the whole run takes ~1 minute.
# Re-runnable: it overwrites the fixtures.
set -euo pipefail
OUT=$(realpath -m "${1:-$(dirname "$0")/../fixtures/live}")
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "record_fixtures.sh: run as root (sudo)" >&2; exit 1; }

# --- tools ------------------------------------------------------------------
need=()
for pair in dnsmasq:dnsmasq dhclient:isc-dhcp-client curl:curl python3:python3 \
    vsftpd:vsftpd telnetd:inetutils-telnetd telnet:inetutils-telnet ping:iputils-ping \
    dig:dnsutils openssl:openssl tshark:tshark ip:iproute2 ethtool:ethtool; do
  cmd=${pair%%:*} pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# dnsmasq's Debian package starts a system-wide instance; ours runs in a namespace.
LS=${LAYERSCOPE:-}
if [ -z "$LS" ]; then
  cargo build --release -q
  LS="${CARGO_TARGET_DIR:-target}/release/layerscope"
fi
LS=$(readlink -f "$LS")

# --- namespaces ---------------------------------------------------------------
SRV=ls-fix-srv-$$
CLI=ls-fix-cli-$$
T=$(mktemp -d /tmp/ls-fixtures.XXXXXX)
NETNS_ETC_EXISTED=0
[ -d /etc/netns ] && NETNS_ETC_EXISTED=1
chmod 755 "$T"
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  ip netns pids "$SRV" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns pids "$CLI" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$SRV" 2>/dev/null
  ip netns del "$CLI" 2>/dev/null
  rm -rf "/etc/netns/$CLI" "/etc/netns/$SRV" "$T"
  [ "$NETNS_ETC_EXISTED" = 1 ] || rmdir /etc/netns 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

s() { ip netns exec "$SRV" "$@"; }
c() { ip netns exec "$CLI" "$@"; }
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 # Debian's, not a version manager's shim

ip netns add "$SRV"
ip netns add "$CLI"
# A private resolv.conf for each namespace, so nothing run inside (dhclient)
# can touch the host's.
for ns in "$SRV" "$CLI"; do
  mkdir -p "/etc/netns/$ns"
  echo "nameserver 10.99.0.1" >"/etc/netns/$ns/resolv.conf"
done
ip link add veth0 netns "$SRV" type veth peer name veth1 netns "$CLI"
for ns in "$SRV" "$CLI"; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0 \
    net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.accept_ra=0
done
ip -n "$SRV" link set veth0 mtu 1500 up
ip -n "$CLI" link set veth1 mtu 1500 up
# As on a real wire: no segmentation offload (frames <= MTU) and no checksum
# offload (the sender's frames are captured with their real checksums).
for pair in "$SRV:veth0" "$CLI:veth1"; do
  ip netns exec "${pair%%:*}" ethtool -K "${pair#*:}" tx off tso off gso off gro off >/dev/null 2>&1 ||
    ip netns exec "${pair%%:*}" ethtool -K "${pair#*:}" tx off gso off >/dev/null
done
ip -n "$SRV" addr add 10.99.0.1/24 dev veth0
ip -n "$SRV" addr add fd99::1/64 dev veth0 nodad
ip -n "$CLI" addr add fd99::2/64 dev veth1 nodad
# The client gets its IPv4 address from DHCP first (dhcp.pcap), then static.
sleep 2 # let link-local DAD and the first MLD reports pass

mkdir -p "$OUT"
# capture NAME FILTER: starts layerscope in the server namespace and waits
# until it is capturing. stop_capture ends it with SIGINT.
CAP_PID=
capture() {
  local name=$1 filter=$2
  rm -f "$OUT/$name.pcap"
  ip netns exec "$SRV" "$LS" capture -i veth0 -f "$filter" -q -w "$OUT/$name.pcap" \
    2>"$T/$name.cap.err" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  for _ in $(seq 100); do
    grep -q "capturing on" "$T/$name.cap.err" && return 0
    sleep 0.1
  done
  echo "capture for $name did not start:" >&2
  cat "$T/$name.cap.err" >&2
  exit 1
}
stop_capture() {
  sleep 0.5
  kill -INT "$CAP_PID"
  wait "$CAP_PID" || { cat "$T"/*.cap.err >&2; exit 1; }
  local n
  n=$(tshark -n -r "$OUT/$1.pcap" 2>/dev/null | wc -l)
  printf '   %-12s %4d frames, %6d bytes\n' "$1.pcap" "$n" "$(stat -c %s "$OUT/$1.pcap")"
}
wait_listen() { # NS PORT [tcp|udp]
  local flag=-Hltn
  [ "${3:-tcp}" = udp ] && flag=-Hlun
  for _ in $(seq 100); do
    [ -n "$(ip netns exec "$1" ss $flag "sport = :$2")" ] && return 0
    sleep 0.1
  done
  echo "nothing listening on port $2 in $1" >&2
  exit 1
}

# --- dnsmasq: DHCP and DNS for lab.test -----------------------------------------
cat >"$T/dnsmasq.conf" <<'EOF'
no-resolv
no-hosts
no-poll
interface=veth0
bind-interfaces
except-interface=lo
domain=lab.test
local=/lab.test/
dhcp-range=10.99.0.100,10.99.0.150,255.255.255.0,1h
dhcp-option=option:router,10.99.0.1
dhcp-option=option:dns-server,10.99.0.1
dhcp-authoritative
host-record=www.lab.test,10.99.0.80,fd99::80
host-record=ftp.lab.test,10.99.0.1
cname=web.lab.test,www.lab.test
mx-host=lab.test,mail.lab.test,10
host-record=mail.lab.test,10.99.0.25
txt-record=lab.test,"v=spf1 mx -all"
ptr-record=1.0.99.10.in-addr.arpa,gw.lab.test
EOF
s timeout 300 dnsmasq --keep-in-foreground --conf-file="$T/dnsmasq.conf" \
  --dhcp-leasefile="$T/dnsmasq.leases" --pid-file="$T/dnsmasq.pid" --user=root \
  --log-facility="$T/dnsmasq.log" &
PIDS+=($!)
wait_listen "$SRV" 53
wait_listen "$SRV" 67 udp

echo "== dhcp"
cat >"$T/dhclient-script" <<'EOF'
#!/bin/sh
# Configures only the leased address; never touches resolv.conf or routes.
case "$reason" in
  BOUND|RENEW|REBIND|REBOOT) ip -4 addr add "$new_ip_address/24" dev "$interface" ;;
  RELEASE|EXPIRE|STOP|FAIL) ip -4 addr flush dev "$interface" ;;
esac
exit 0
EOF
chmod 755 "$T/dhclient-script"
DHC=(-4 -sf "$T/dhclient-script" -lf "$T/dhclient.leases" -pf "$T/dhclient.pid" veth1)
capture dhcp "udp port 67 or udp port 68 or arp or icmp"
c timeout 30 dhclient -1 "${DHC[@]}"
sleep 1
c timeout 30 dhclient -r "${DHC[@]}"
stop_capture dhcp
ip -n "$CLI" addr add 10.99.0.2/24 dev veth1

echo "== dns"
capture dns "port 53"
for q in "www.lab.test A" "www.lab.test AAAA" "lab.test MX" "lab.test TXT" \
  "web.lab.test CNAME" "web.lab.test A" "nosuch.lab.test A"; do
  # shellcheck disable=SC2086
  c timeout 10 dig +tries=1 +time=2 @10.99.0.1 $q >/dev/null
done
c timeout 10 dig +tries=1 +time=2 @10.99.0.1 -x 10.99.0.80 >/dev/null
c timeout 10 dig +tries=1 +time=2 @10.99.0.1 -x 10.99.0.1 >/dev/null
c timeout 10 dig +tcp +tries=1 +time=2 @10.99.0.1 www.lab.test A >/dev/null
stop_capture dns

echo "== http"
cat >"$T/httpd.py" <<'EOF'
"""A small HTTP/1.1 server: a page, a large body, a POST echo and a chunked reply."""
import http.server, sys

BIG = b"".join(b"line %05d: the quick brown fox jumps over the lazy dog\n" % i for i in range(400))

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "layerscope-fixture/1.0"

    def send(self, code, body, ctype="text/plain; charset=utf-8"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/":
            self.send(200, b"<html><head><title>lab</title></head><body>Hello from the lab.</body></html>\n",
                      "text/html; charset=utf-8")
        elif self.path == "/big.txt":
            self.send(200, BIG)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first chunk\n", b"second, longer chunk of the body\n", b"last\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send(404, b"not found\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.send(201, b"received %d bytes: %s\n" % (n, body), "text/plain")

    def log_message(self, *a):
        pass

http.server.ThreadingHTTPServer(("10.99.0.1", 80), H).serve_forever()
EOF
s timeout 120 "$PY" "$T/httpd.py" &
PIDS+=($!)
wait_listen "$SRV" 80
capture http "tcp port 80"
U=http://www.lab.test
R=(--resolve www.lab.test:80:10.99.0.1 -s -o /dev/null --max-time 10)
c curl "${R[@]}" "$U/"
c curl "${R[@]}" "$U/big.txt"
c curl "${R[@]}" -d 'name=layerscope&layer=7&note=hello+world' "$U/submit"
c curl "${R[@]}" "$U/chunked" "$U/missing" >/dev/null # two requests, one connection
stop_capture http

echo "== ftp"
mkdir -p "$T/ftproot/pub" /var/run/vsftpd/empty
printf 'Hello over FTP.\nThis file is fetched with RETR on a passive data connection.\n' \
  >"$T/ftproot/pub/hello.txt"
printf 'readme\n' >"$T/ftproot/README"
chmod -R a+rX "$T/ftproot"
chmod 555 "$T/ftproot"
cat >"$T/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=10.99.0.1
background=NO
anonymous_enable=YES
anon_root=$T/ftproot
no_anon_password=NO
local_enable=NO
write_enable=NO
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30009
port_enable=NO
seccomp_sandbox=NO
ftpd_banner=layerscope fixture FTP server ready.
secure_chroot_dir=/var/run/vsftpd/empty
xferlog_enable=NO
EOF
s timeout 120 vsftpd "$T/vsftpd.conf" &
PIDS+=($!)
wait_listen "$SRV" 21
capture ftp "tcp port 21 or tcp portrange 30000-30009"
# One session: login, EPSV listing, PASV listing and a RETR (curl reuses the
# control connection for the second and third URL).
c curl -s --max-time 15 --user anonymous:student@lab.test -o /dev/null \
  "ftp://10.99.0.1/pub/" -o /dev/null "ftp://10.99.0.1/pub/hello.txt"
c curl -s --max-time 15 --disable-epsv --user anonymous:student@lab.test -o /dev/null \
  "ftp://10.99.0.1/pub/hello.txt"
stop_capture ftp

echo "== telnet"
cat >"$T/login.sh" <<'EOF'
#!/bin/bash
# A stand-in for /bin/login, run by the real telnetd on its pty: the fixture
# needs a login exchange, not a real account on this machine.
printf '\r\nDebian GNU/Linux 12\r\n\r\n'
printf 'lab login: '
read -r user
printf 'Password: '
stty -echo 2>/dev/null
read -r _pass
stty echo 2>/dev/null
printf '\r\nLast login: never\r\nWelcome to the layerscope lab, %s.\r\n' "$user"
while printf '%s@lab:~$ ' "$user"; read -r line; do
  case "$line" in
    exit | logout) printf 'logout\r\n'; exit 0 ;;
    uname*) uname -sr ;;
    echo\ *) printf '%s\r\n' "${line#echo }" ;;
    "") ;;
    *) printf '%s: command not found\r\n' "${line%% *}" ;;
  esac
done
EOF
chmod 755 "$T/login.sh"
cat >"$T/inetd1.py" <<EOF
# A one-shot inetd: accept one connection on port 23 and hand it to telnetd.
import socket, subprocess
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.0.1", 23)); s.listen(1); s.settimeout(30)
c, _ = s.accept()
subprocess.run(["/usr/sbin/telnetd", "-h", "-E", "$T/login.sh"], stdin=c.fileno(),
               stdout=c.fileno(), stderr=subprocess.DEVNULL, timeout=30)
EOF
s timeout 60 "$PY" "$T/inetd1.py" &
PIDS+=($!)
wait_listen "$SRV" 23
capture telnet "tcp port 23"
{
  sleep 1.5; echo student
  sleep 0.7; echo 'l4y3r5!'
  sleep 0.7; echo 'uname -a'
  sleep 0.7; echo 'echo hello, telnet'
  sleep 0.7; echo exit
  sleep 1
} | c timeout 20 telnet 10.99.0.1 23 >"$T/telnet.out" 2>&1 || true
stop_capture telnet

echo "== ping"
ip -n "$SRV" neigh flush all
ip -n "$CLI" neigh flush all
capture ping "arp or icmp or (icmp6 and (ip6[40] == 128 or ip6[40] == 129 or ip6[40] == 135 or ip6[40] == 136))"
c timeout 10 ping -n -c 3 -i 0.2 10.99.0.1 >/dev/null
c timeout 10 ping -6 -n -c 3 -i 0.2 fd99::1 >/dev/null
stop_capture ping

echo "== tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
  -subj "/CN=www.lab.test" -addext "subjectAltName=DNS:www.lab.test" \
  -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
s timeout 60 openssl s_server -quiet -accept 443 -cert "$T/cert.pem" -key "$T/key.pem" \
  -alpn http/1.1 -www >/dev/null 2>&1 &
PIDS+=($!)
wait_listen "$SRV" 443
capture tls "tcp port 443"
TR=(--resolve www.lab.test:443:10.99.0.1 -k -s -o /dev/null --max-time 10)
c curl "${TR[@]}" https://www.lab.test/ # TLS 1.3, SNI, ALPN h2 + http/1.1 offered
c curl "${TR[@]}" --http1.1 --tls-max 1.2 https://www.lab.test/ # TLS 1.2: certificate in clear
stop_capture tls

echo "== versions"
{
  echo "layerscope: $("$LS" --version)"
  echo "kernel: $(uname -r)"
  dpkg-query -W -f '${Package} ${Version}\n' dnsmasq-base ethtool iproute2 isc-dhcp-client curl python3 vsftpd \
    inetutils-telnetd inetutils-telnet iputils-ping bind9-dnsutils openssl tshark 2>/dev/null
} | tee "$T/versions.txt"
echo "done: $OUT"

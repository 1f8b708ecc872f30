#!/usr/bin/env bash
# Records the HTTP/2 fixtures (fixtures/http2/*.pcap) from Debian's nghttp2
# tools (nghttpd, nghttp) and curl talking across two network namespaces
# joined by a veth pair, captured by tcpdump in the server namespace.
#
#   sudo scripts/record_http2.sh [OUTDIR]     (default: fixtures/http2)
#
#   h2c_prior.pcap    h2c by prior knowledge on port 8080 (no port hint: found
#                     by the connection preface): nghttp GETs of three files
#                     as concurrent streams, a POST, and curl
#                     --http2-prior-knowledge
#   h2c_upgrade.pcap  HTTP/1.1 `Upgrade: h2c` on port 80: curl --http2 and
#                     nghttp -u, then HTTP/2 on the same connection
#   h2_tls.pcap       HTTP/2 over TLS (ALPN h2) on port 443, no keys
#   h2_tls12.pcap     HTTP/2 over TLS 1.2 on port 8443: the ServerHello's
#                     ALPN (clear text before TLS 1.3) names the protocol of
#                     the encrypted records; curl and nghttp
#
# Needs root. Traffic stays inside the namespaces (10.99.0.0/24), which are
# deleted on exit, also on failure. Every step is bounded by `timeout`.
set -euo pipefail
OUT=$(realpath -m "${1:-$(dirname "$0")/../fixtures/http2}")
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "record_http2.sh: run as root (sudo)" >&2; exit 1; }

need=()
for pair in nghttpd:nghttp2-server nghttp:nghttp2-client nghttpx:nghttp2-proxy curl:curl tcpdump:tcpdump \
    openssl:openssl tshark:tshark ip:iproute2 ethtool:ethtool; do
  cmd=${pair%%:*} pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

SRV=ls-h2-srv-$$
CLI=ls-h2-cli-$$
T=$(mktemp -d /tmp/ls-h2.XXXXXX)
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
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

s() { ip netns exec "$SRV" "$@"; }
c() { ip netns exec "$CLI" "$@"; }

ip netns add "$SRV"
ip netns add "$CLI"
ip link add veth0 netns "$SRV" type veth peer name veth1 netns "$CLI"
for ns in "$SRV" "$CLI"; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n "$SRV" link set veth0 mtu 1500 up
ip -n "$CLI" link set veth1 mtu 1500 up
# As on a real wire: frames <= MTU and real checksums.
for pair in "$SRV:veth0" "$CLI:veth1"; do
  ip netns exec "${pair%%:*}" ethtool -K "${pair#*:}" tx off tso off gso off gro off >/dev/null 2>&1 ||
    ip netns exec "${pair%%:*}" ethtool -K "${pair#*:}" tx off gso off >/dev/null
done
ip -n "$SRV" addr add 10.99.0.1/24 dev veth0
ip -n "$CLI" addr add 10.99.0.2/24 dev veth1

# Documents: small text files and one spanning several segments.
mkdir -p "$T/www"
echo "hello from layerscope" >"$T/www/index.html"
printf 'a,b,c\n1,2,3\n' >"$T/www/data.csv"
for i in $(seq 400); do echo "line $i of a longer document served over HTTP/2"; done >"$T/www/big.txt"
printf 'name=layerscope&proto=h2' >"$T/post.txt"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=h2.lab.test -days 2 \
  -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null

mkdir -p "$OUT"
CAP_PID=
capture() { # NAME FILTER
  rm -f "$OUT/$1.pcap"
  s timeout 60 tcpdump -i veth0 -U -s 0 -w "$OUT/$1.pcap" "$2" 2>"$T/$1.cap.err" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  for _ in $(seq 100); do
    grep -q "listening on" "$T/$1.cap.err" && return 0
    sleep 0.1
  done
  cat "$T/$1.cap.err" >&2
  exit 1
}
stop_capture() { # NAME
  sleep 0.5
  kill -INT "$CAP_PID"
  wait "$CAP_PID" || true
  printf '   %-18s %4d frames\n' "$1.pcap" "$(tshark -n -r "$OUT/$1.pcap" 2>/dev/null | wc -l)"
}
wait_listen() { # PORT
  for _ in $(seq 100); do
    [ -n "$(s ss -Hltn "sport = :$1")" ] && return 0
    sleep 0.1
  done
  echo "nothing listening on port $1" >&2
  exit 1
}
serve() { # PORT [TLS]
  if [ "${2:-}" = tls ]; then
    s nghttpd -d "$T/www" "$1" "$T/key.pem" "$T/cert.pem" >/dev/null 2>&1 &
  else
    s nghttpd --no-tls -d "$T/www" "$1" >/dev/null 2>&1 &
  fi
  PIDS+=("$!")
  wait_listen "$1"
}

echo "== h2c by prior knowledge (port 8080)"
serve 8080
capture h2c_prior "tcp port 8080"
U=http://10.99.0.1:8080
c timeout 10 nghttp -n "$U/index.html" "$U/data.csv" "$U/big.txt"
c timeout 10 nghttp -n -d "$T/post.txt" "$U/index.html"
c timeout 10 curl -s -o /dev/null --http2-prior-knowledge "$U/data.csv"
stop_capture h2c_prior

echo "== h2c after HTTP/1.1 Upgrade (port 80)"
# nghttpd answers HTTP/1.1 with HTTP/2 only: nghttpx (in front of nghttpd)
# accepts the Upgrade.
s nghttpx --frontend='0.0.0.0,80;no-tls' --backend='127.0.0.1,8080;;proto=h2' \
  --workers=1 --no-ocsp --errorlog-file="$T/nghttpx.log" --accesslog-file=/dev/null >/dev/null 2>&1 &
PIDS+=("$!")
wait_listen 80
capture h2c_upgrade "tcp port 80"
c timeout 10 curl -sS -o /dev/null --http2 http://10.99.0.1/index.html
c timeout 10 nghttp -n -u http://10.99.0.1/data.csv http://10.99.0.1/big.txt
stop_capture h2c_upgrade

echo "== HTTP/2 over TLS, ALPN h2 (port 443)"
serve 443 tls
capture h2_tls "tcp port 443"
c timeout 10 nghttp -n https://10.99.0.1/index.html https://10.99.0.1/data.csv
c timeout 10 curl -sk -o /dev/null --http2 https://10.99.0.1/big.txt
stop_capture h2_tls

echo "== HTTP/2 over TLS 1.2, ALPN h2 (port 8443)"
serve 8443 tls
capture h2_tls12 "tcp port 8443"
c timeout 10 curl -sk -o /dev/null --http2 --tls-max 1.2 https://10.99.0.1:8443/index.html
c timeout 10 curl -sk -o /dev/null --http1.1 --tls-max 1.2 https://10.99.0.1:8443/data.csv || true
stop_capture h2_tls12

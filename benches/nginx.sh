#!/usr/bin/env bash
# Many HTTP checks against a real nginx answering after 20 ms, side by side in one run:
# cachet-check (`run --dry-run`, --jobs 512) and `curl --parallel --parallel-max 512` fetching
# the same URLs. Wall time, CPU (user + system) and peak RSS from the rusage of each process
# (microseconds, where GNU time rounds CPU to 10 ms), median of REPEAT runs each, alternating
# them. Both reuse the connections nginx keeps open (curl caps its parallel transfers at 300);
# cachet-check is also measured with `fresh_connection = true` on every check, a connection
# per check, which curl has no option for.
#
# Then TLS: TLS_COUNT `tls` checks (a full handshake each, chain and expiry judged) against
# nginx's TLS port (TLS 1.3, which nginx before 1.23.4 offers only when asked), beside curl
# making the same number of fresh TLS connections (a GET on each, no session reused, as
# cachet-check reuses none), with the CPU nginx's workers spent on them: both sides of every
# handshake run on the same cores, so the server's share bounds the rate.
#
#   bash benches/nginx.sh                 # 2,000 and 10,000 checks, 4,000 TLS checks
#   COUNTS="2000" REPEAT=9 TLS_COUNT=0 bash benches/nginx.sh
#
# Needs nginx with the echo module (apt-get install nginx-light libnginx-mod-http-echo), curl,
# openssl and python3. nginx runs with its own config and certificates (made here) in a temp
# dir on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."

counts=${COUNTS:-2000 10000}
repeat=${REPEAT:-5}
tls_count=${TLS_COUNT:-4000}
module=/usr/lib/nginx/modules/ngx_http_echo_module.so
for need in nginx curl openssl python3 "$module"; do
  command -v "$need" >/dev/null || [ -e "$need" ] \
    || { echo "benches/nginx.sh needs $need (see the head of this file)" >&2; exit 1; }
done

# BIN=path measures another build (an older one, to compare) instead of this tree's.
if [ -z "${BIN:-}" ]; then cargo build --release --quiet; fi
bin=${BIN:-$PWD/target/release/cachet-check}
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
tport=$(free_port)
# A CA and a server certificate for localhost, ECDSA P-256 as most sites now serve.
(
  cd "$work"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl req -x509 -new -key ca.key -subj /CN=bench-ca -days 30 -out ca.pem
  openssl ecparam -name prime256v1 -genkey -noout -out server.key
  openssl req -new -key server.key -subj /CN=localhost -out server.csr
  printf 'subjectAltName=DNS:localhost\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 20 \
    -extfile server.ext -out server.pem
) >/dev/null 2>&1
cat >"$work/nginx.conf" <<CONF
load_module $module;
daemon off;
master_process on;
worker_processes 2;
pid $work/nginx.pid;
error_log $work/error.log;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$port backlog=4096;
    location / { echo_sleep 0.02; echo ok; }
  }
  server {
    listen 127.0.0.1:$tport ssl backlog=4096;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    ssl_session_cache off;
    ssl_session_tickets off;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 200 ok; }
  }
}
CONF
nginx -p "$work" -c "$work/nginx.conf" & nginx=$!
trap 'kill "$nginx" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
ulimit -n 65536 2>/dev/null || true

# wall_s cpu_s rss_kib of one command, from its rusage.
measure() {
  python3 - "$@" <<'PY'
import os, subprocess, sys, time
started = time.monotonic()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, _, usage = os.wait4(child.pid, 0)
print("%.3f %.3f %d" % (time.monotonic() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss))
PY
}
# CPU seconds nginx's workers have spent so far.
nginx_cpu() {
  local ticks=0 pid
  for pid in $(pgrep -P "$nginx"); do
    ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}
# The median of column $1 of stdin.
median() { sort -n -k"$1" | awk -v k="$1" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }

echo "| checks | tool | wall | CPU (user+sys) | peak RSS | ideal wall |"
echo "|---|---|---|---|---|---|"
for n in $counts; do
  : >"$work/curl.cfg"
  {
    echo '[cachet]'
    echo 'url = "http://127.0.0.1:9"'
  } >"$work/config.toml"
  for i in $(seq 0 $((n - 1))); do
    printf 'url = "http://127.0.0.1:%s/%s"\noutput = "/dev/null"\n' "$port" "$i" >>"$work/curl.cfg"
    if [ $((i % 10)) = 0 ]; then printf '[components.c%s]\nid = %s\n' "$i" $((i + 1)) >>"$work/config.toml"; fi
    printf '[[components.c%s.checks]]\nname = "n%s"\ntype = "http"\nurl = "http://127.0.0.1:%s/%s"\n' \
      $((i - i % 10)) "$i" "$port" "$i" >>"$work/config.toml"
  done
  sed 's/^type = "http"$/type = "http"\nfresh_connection = true/' "$work/config.toml" >"$work/fresh.toml"
  : >"$work/ours"; : >"$work/curls"; : >"$work/fresh"
  for _ in $(seq "$repeat"); do
    measure "$bin" -q --timeout 60s -j 512 -c "$work/config.toml" run --dry-run >>"$work/ours"
    measure curl -s --parallel --parallel-max 512 -K "$work/curl.cfg" >>"$work/curls"
    measure "$bin" -q --timeout 60s -j 512 -c "$work/fresh.toml" run --dry-run >>"$work/fresh"
  done
  ideal=$(awk -v n="$n" 'BEGIN { printf "%.2f", int((n + 511) / 512) * 0.02 }')
  for tool in ours curls fresh; do
    case $tool in
      ours) name=cachet-check ;;
      curls) name="curl --parallel" ;;
      fresh) name="cachet-check, fresh_connection" ;;
    esac
    wall=$(median 1 <"$work/$tool")
    cpu=$(median 2 <"$work/$tool")
    rss=$(median 3 <"$work/$tool" | awk '{printf "%.1f MiB", $1 / 1024}')
    echo "| $n | $name | ${wall} s | ${cpu} s | $rss | ${ideal} s |"
  done
done

[ "$tls_count" -gt 0 ] || exit 0
{
  echo '[cachet]'
  echo 'url = "http://127.0.0.1:9"'
  for i in $(seq 0 $((tls_count - 1))); do
    if [ $((i % 10)) = 0 ]; then printf '[components.c%s]\nid = %s\n' "$i" $((i + 1)); fi
    printf '[[components.c%s.checks]]\nname = "t%s"\ntype = "tls"\naddress = "127.0.0.1:%s"\n' \
      $((i - i % 10)) "$i" "$tport"
    printf 'sni = "localhost"\nca_file = "%s/ca.pem"\nwarn_before = "14d"\n' "$work"
  done
} >"$work/tls.toml"
for i in $(seq 0 $((tls_count - 1))); do
  printf 'url = "https://localhost:%s/%s"\noutput = "/dev/null"\n' "$tport" "$i"
done >"$work/tls-curl.cfg"
# Each line: wall_s cpu_s rss_kib nginx_cpu_s.
with_server() {
  local before after
  before=$(nginx_cpu)
  local line
  line=$(measure "$@")
  after=$(nginx_cpu)
  echo "$line $(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')"
}
: >"$work/tls-ours"; : >"$work/tls-curl"
for _ in $(seq "$repeat"); do
  with_server "$bin" -q --timeout 60s -j 512 -c "$work/tls.toml" run --dry-run >>"$work/tls-ours"
  with_server curl -s --no-sessionid --cacert "$work/ca.pem" -H 'Connection: close' \
    --parallel --parallel-max 512 -K "$work/tls-curl.cfg" >>"$work/tls-curl"
done
echo
echo "| TLS handshakes | tool | wall | per second | CPU (user+sys) | peak RSS | nginx CPU |"
echo "|---|---|---|---|---|---|---|"
for tool in tls-ours tls-curl; do
  case $tool in
    tls-ours) name="cachet-check, type = \"tls\"" ;;
    tls-curl) name="curl --parallel, a connection each" ;;
  esac
  wall=$(median 1 <"$work/$tool")
  cpu=$(median 2 <"$work/$tool")
  rss=$(median 3 <"$work/$tool" | awk '{printf "%.1f MiB", $1 / 1024}')
  server=$(median 4 <"$work/$tool")
  rate=$(awk -v n="$tls_count" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
  echo "| $tls_count | $name | ${wall} s | $rate | ${cpu} s | $rss | ${server} s |"
done

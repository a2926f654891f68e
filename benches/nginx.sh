#!/usr/bin/env bash
# Many HTTP checks against a real nginx answering after 20 ms, side by side in one run:
# cachet-check (`run --dry-run`, --jobs 512) and `curl --parallel --parallel-max 512` fetching
# the same URLs. Wall time, CPU (user + system, from rusage) and peak RSS by GNU time, median
# of REPEAT runs each, alternating them. Both reuse the connections nginx keeps open (curl caps
# its parallel transfers at 300); cachet-check is also measured with `fresh_connection = true`
# on every check, a connection per check, which curl has no option for.
#
#   bash benches/nginx.sh                 # 2,000 and 10,000 checks
#   COUNTS="2000" REPEAT=9 bash benches/nginx.sh
#
# Needs nginx with the echo module (apt-get install nginx-light libnginx-mod-http-echo), curl
# and GNU time. nginx runs with its own config in a temp dir on a loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."

counts=${COUNTS:-2000 10000}
repeat=${REPEAT:-5}
module=/usr/lib/nginx/modules/ngx_http_echo_module.so
for need in nginx curl /usr/bin/time "$module"; do
  command -v "$need" >/dev/null || [ -e "$need" ] \
    || { echo "benches/nginx.sh needs $need (see the head of this file)" >&2; exit 1; }
done

cargo build --release --quiet
bin=$PWD/target/release/cachet-check
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
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
}
CONF
nginx -p "$work" -c "$work/nginx.conf" & nginx=$!
trap 'kill "$nginx" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
ulimit -n 65536 2>/dev/null || true

# wall_s cpu_s rss_kib of one command, by GNU time.
measure() {
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || true
  awk '{ printf "%.3f %.3f %d\n", $1, $2 + $3, $4 }' "$work/time"
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

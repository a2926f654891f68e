#!/usr/bin/env bash
# Whole-process timings of cachet-check against loopback servers, with hyperfine
# (apt-get install hyperfine), and the peak RSS of one run (GNU time).
#
#   bash benches/run.sh            # prints a Markdown table of medians and ranges
#
# What is measured, all on 127.0.0.1:
#   startup   `validate` of the example config (parse and check, no network)
#   dry-run   `run --dry-run` of one HTTP check
#   run       `run --force` of one HTTP check plus a read and a write to a Cachet 2.x fake
#   curl      the shell script people write instead: curl the check, curl -XPUT the status
set -euo pipefail
cd "$(dirname "$0")/.."

command -v hyperfine >/dev/null || { echo "benches/run.sh needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --quiet
bin=$PWD/target/release/cachet-check
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 benches/loopback.py "$work/ports" & server=$!
for _ in $(seq 50); do [ -s "$work/ports" ] && break; sleep 0.1; done
read -r target cachet < "$work/ports"

"$bin" example > "$work/example.toml"
cat > "$work/one.toml" <<TOML
[cachet]
url = "http://127.0.0.1:$cachet"
api = "2"
[components.api]
id = 1
  [[components.api.checks]]
  name = "home"
  type = "http"
  url = "http://127.0.0.1:$target/"
TOML
cat > "$work/curl.sh" <<SH
#!/bin/sh
if curl -sf -o /dev/null http://127.0.0.1:$target/; then s=1; else s=4; fi
curl -sf -o /dev/null -XPUT -H 'X-Cachet-Token: bench-token' -H 'Content-Type: application/json' \
  -d "{\"status\":\$s}" http://127.0.0.1:$cachet/api/v1/components/1
SH
export CACHET_TOKEN=bench-token
export STATE_DIRECTORY=$work/state   # the run keeps its lock and state here

hyperfine --warmup 20 --runs 300 --export-json "$work/times.json" -N \
  --command-name startup "$bin validate -c $work/example.toml" \
  --command-name dry-run "$bin run --dry-run -c $work/one.toml" \
  --command-name run "$bin run --force -c $work/one.toml" \
  --command-name curl "sh $work/curl.sh" >/dev/null

python3 - "$work/times.json" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
print("| case | median | min | max | runs |")
print("|---|---|---|---|---|")
for r in results:
    times = r["times"]
    ms = lambda s: f"{s * 1000:.2f} ms"
    print(f"| {r['command']} | {ms(statistics.median(times))} | {ms(min(times))} | {ms(max(times))} | {len(times)} |")
PY

rss=$(/usr/bin/time -f %M "$bin" run --force -c "$work/one.toml" 2>&1 >/dev/null | tail -n 1)
echo
echo "peak RSS of one \`run\`: ${rss} KiB"

#!/usr/bin/env bash
# Whole-process timings of cachet-check and its peers against loopback servers, with hyperfine,
# and the peak RSS of one run (GNU time). Prints a Markdown table of medians, ranges and ratios.
#
#   bash benches/run.sh              # 300 runs per case (100 for the Python peer)
#   RUNS=50 bash benches/run.sh      # quicker
#
# Needs: hyperfine, curl, GNU time and monitoring-plugins-basic (apt-get install hyperfine curl
# time monitoring-plugins-basic) and cachet-url-monitor (pip install cachet-url-monitor).
#
# What is measured, all on 127.0.0.1 (targets and Cachet fake: benches/loopback.py):
#   startup      `validate` of the example config (parse and check, no network)
#   dry-run      `run --dry-run` of one HTTP check          vs  check_http doing the same request
#   run          `run`: one HTTP check, Cachet read + write  vs  the curl script (check + PUT)
#                                                            vs  one cachet-url-monitor evaluation
#   slow         `run` of one HTTP check whose target answers after 200 ms: the overhead above it
# Before each `run`, curl-script and cachet-url-monitor sample the component is set to partial
# outage, so that each of them has a status change to write.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-300}
for tool in hyperfine curl /usr/bin/time /usr/lib/nagios/plugins/check_http; do
  command -v "$tool" >/dev/null || { echo "benches/run.sh needs $tool (see the head of this file)" >&2; exit 1; }
done
python3 -c 'import cachet_url_monitor' 2>/dev/null \
  || { echo "benches/run.sh needs cachet-url-monitor (pip install cachet-url-monitor)" >&2; exit 1; }

# BIN=path measures another build (an older one, to compare) instead of this tree's.
if [ -z "${BIN:-}" ]; then cargo build --release --quiet; fi
bin=${BIN:-$PWD/target/release/cachet-check}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 benches/loopback.py "$work/ports" & server=$!
for _ in $(seq 50); do [ -s "$work/ports" ] && break; sleep 0.1; done
read -r target cachet < "$work/ports"

"$bin" example > "$work/example.toml"
config() { # config FILE PATH: component 1 with one HTTP check of http://127.0.0.1:TARGET/PATH
  cat > "$1" <<TOML
[cachet]
url = "http://127.0.0.1:$cachet"
api = "2"
[components.api]
id = 1
  [[components.api.checks]]
  name = "home"
  type = "http"
  url = "http://127.0.0.1:$target/$2"
TOML
}
config "$work/one.toml" ""
config "$work/slow.toml" slow
cat > "$work/curl.sh" <<SH
#!/bin/sh
if curl -sf -o /dev/null http://127.0.0.1:$target/; then s=1; else s=4; fi
curl -sf -o /dev/null -XPUT -H 'X-Cachet-Token: bench-token' -H 'Content-Type: application/json' \
  -d "{\"status\":\$s}" http://127.0.0.1:$cachet/api/v1/components/1
SH
cat > "$work/url-monitor.yml" <<YML
endpoints:
  - name: api
    url: http://127.0.0.1:$target/
    method: GET
    timeout: 10
    frequency: 30
    expectation:
      - type: HTTP_STATUS
        status_range: 200-300
    allowed_fails: 0
    component_id: 1
    action:
      - UPDATE_STATUS
    public_incidents: true
cachet:
  api_url: http://127.0.0.1:$cachet/api/v1
  token: bench-token
YML
reset="curl -sf -o /dev/null -XPUT -H 'X-Cachet-Token: bench-token' -H 'Content-Type: application/json' -d '{\"status\":3}' http://127.0.0.1:$cachet/api/v1/components/1"
export CACHET_TOKEN=bench-token
export STATE_DIRECTORY=$work/state   # the run keeps its lock and state here

hyperfine --warmup 20 --runs "$runs" --export-json "$work/fast.json" -N \
  --command-name startup "$bin validate -c $work/example.toml" \
  --command-name dry-run "$bin run --dry-run -c $work/one.toml" \
  --command-name check_http "/usr/lib/nagios/plugins/check_http -H 127.0.0.1 -p $target -u /" \
  >/dev/null
hyperfine --warmup 20 --runs "$runs" --export-json "$work/writes.json" --prepare "$reset" -N \
  --command-name run "$bin run -c $work/one.toml" \
  --command-name curl-script "sh $work/curl.sh" \
  >/dev/null
hyperfine --warmup 5 --runs $(( runs < 100 ? runs : 100 )) --export-json "$work/peer.json" --prepare "$reset" -N \
  --command-name cachet-url-monitor "python3 benches/url_monitor_once.py $work/url-monitor.yml" \
  >/dev/null
hyperfine --warmup 3 --runs $(( runs < 50 ? runs : 50 )) --export-json "$work/slow.json" -N \
  --command-name slow "$bin run --force -c $work/slow.toml" \
  >/dev/null

python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
results = {}
for name in ("fast", "writes", "peer", "slow"):
    for r in json.load(open(f"{work}/{name}.json"))["results"]:
        results[r["command"]] = r["times"]
median = {name: statistics.median(times) for name, times in results.items()}
ms = lambda s: f"{s * 1000:.2f} ms"
print("| case | median | min | max | runs |")
print("|---|---|---|---|---|")
for name, times in results.items():
    print(f"| {name} | {ms(median[name])} | {ms(min(times))} | {ms(max(times))} | {len(times)} |")
print()
print("| comparison | ratio | target |")
print("|---|---|---|")
print(f"| `run` / curl script | {median['run'] / median['curl-script']:.2f}x | at most 0.5x |")
print(f"| `run --dry-run` / check_http | {median['dry-run'] / median['check_http']:.2f}x | at most 1.0x |")
print(f"| `run` / one cachet-url-monitor evaluation | {median['run'] / median['cachet-url-monitor']:.3f}x | at most 0.05x |")
print(f"| overhead above a 200 ms check (`run`, median) | {ms(median['slow'] - 0.2)} | under 5 ms |")
print(f"| startup (`validate`, median) | {ms(median['startup'])} | under 3 ms |")
PY

rss=$(/usr/bin/time -f %M "$bin" run --force -c "$work/one.toml" 2>&1 >/dev/null | tail -n 1)
echo
echo "peak RSS of one \`run\`: ${rss} KiB"

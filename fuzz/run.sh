#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds each (default 30), starting from the committed
# seeds (fuzz/seeds/TARGET; for the config loader examples/ and tests/cli/data/bad-configs, for
# import tests/cli/data/import) and
# keeping what it learns in fuzz/corpus/TARGET (not committed).
# A crash stops the run with the input in fuzz/artifacts/TARGET; after fixing it, keep that
# input in fuzz/regressions/TARGET so that `cargo test --test fuzz_inputs` replays it.
#
#   bash fuzz/run.sh          # 30 s per target
#   bash fuzz/run.sh 600      # longer
#
# Needs cargo-fuzz (installed here when missing). Rust's own checks (overflow, bounds) are on;
# the address sanitizer is not used, as it needs a nightly compiler and the code has no unsafe.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-30}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz --version 0.13.2
mkdir -p logs
for target in config cachet_answer perfdata monit_event import statuspage starttls_reply dns_answer votes; do
  mkdir -p "corpus/$target"
  seeds=("seeds/$target")
  # The config target starts from the repository's own configs, good and bad.
  [ "$target" = config ] && seeds=(../examples ../tests/cli/data/bad-configs)
  # The import target starts from the peers' configs the import tests read.
  [ "$target" = import ] && seeds=(../tests/cli/data/import)
  if ! cargo fuzz run --sanitizer none "$target" "corpus/$target" "${seeds[@]}" -- \
    -max_total_time="$seconds" > "logs/$target.log" 2>&1; then
    tail -n 40 "logs/$target.log" >&2
    echo "fuzz target $target failed: the input is in fuzz/artifacts/$target" >&2
    exit 1
  fi
  echo "$target: $(grep -E '^Done [0-9]+ runs' "logs/$target.log" | tail -n 1)"
done

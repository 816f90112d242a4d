#!/usr/bin/env bash
# Fetch the small corpora (Flask, rxjs, eslint) and run the indexing benchmark on them.
#   scripts/bench.sh [TIER]      TIER as in ../shared/corpora.sh (default: small)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mu-daemon/target}"
tier=${1:-small}
mapfile -t dirs < <(bash ../shared/corpora.sh "$tier" | awk -F'\t' '$2=="python"||$2=="typescript"||$2=="javascript"{print $3}')
cargo run --release --example bench_index -- "${dirs[@]}"

#!/usr/bin/env bash
# Indexing benchmark: fetch the corpora of ../shared/corpora.sh (cached in $MU_CORPORA, default
# target/corpora) and print one table row per corpus (see examples/bench_index.rs).
#   scripts/bench.sh [TIER...]   TIER as in ../shared/corpora.sh. Default: the medium tier
#                                (Django, zod, webpack, x/tools, tokio) plus the small tier's
#                                cobra, serde, cordova-android and pythonnet.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mu-daemon/target}"
export MU_CORPORA="${MU_CORPORA:-$PWD/target/corpora}"
if [[ $# -gt 0 ]]; then
  mapfile -t dirs < <(bash ../shared/corpora.sh "$@" | cut -f3)
else
  mapfile -t dirs < <({ bash ../shared/corpora.sh medium
                        bash ../shared/corpora.sh small | grep -E '^(cobra|serde|cordova-android|pythonnet)-'; } | cut -f3)
fi
cargo build --release --bins --examples
"$CARGO_TARGET_DIR/release/examples/bench_index" "${dirs[@]}"

#!/usr/bin/env bash
# Lifecycle benchmark (see scripts/bench_lifecycle.py): start -> ready, list/status wall time,
# idle RSS and idle CPU, on a small and a large corpus of ../shared/corpora.sh.
#   scripts/bench_lifecycle.sh [--idle-seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mu-daemon/target}"
export MU_CORPORA="${MU_CORPORA:-$PWD/target/corpora}"
mapfile -t dirs < <({ bash ../shared/corpora.sh small | grep -E '^(flask|cobra)-'
                      bash ../shared/corpora.sh medium | grep -E '^django-'; } | cut -f3)
cargo build --release --bins
MU_DAEMON_BIN="$CARGO_TARGET_DIR/release/mu-daemon" python3 scripts/bench_lifecycle.py "$@" "${dirs[@]}"

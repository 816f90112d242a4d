#!/usr/bin/env bash
# HTTP API load benchmark (see scripts/bench_api.py): requests/s and latency percentiles of
# /nodes/{id}, /status, /impact and /ancestors on large indexed corpora, next to a trivial axum
# handler (the ceiling) measured by the same load tool (wrk) in the same run.
#   scripts/bench_api.sh [--duration S] [--connections N]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mu-daemon/target}"
export MU_CORPORA="${MU_CORPORA:-$PWD/target/corpora}"
if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi
mapfile -t dirs < <({ bash ../shared/corpora.sh medium | grep -E '^django-'
                      bash ../shared/corpora.sh large | grep -E '^(go-1|jdk17-java.base)'; } | cut -f3)
cargo build --release --bins --example bench_ceiling
MU_DAEMON_BIN="$CARGO_TARGET_DIR/release/mu-daemon" \
CEILING_BIN="$CARGO_TARGET_DIR/release/examples/bench_ceiling" \
  python3 scripts/bench_api.py "$@" "${dirs[@]}"

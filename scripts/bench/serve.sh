#!/usr/bin/env bash
# Benchmarks `versus serve`: time from saving a fact to the page showing it in headless Chromium
# (shipped knowledge base, and a generated one of FACTS facts), then a load test with wrk on
# loopback against /api/search and a static page.
#
#   scripts/bench/serve.sh [FACTS] [SECONDS]      # defaults: 10000 facts, 30 s of load
set -euo pipefail
cd "$(dirname "$0")/../.."
FACTS=${1:-10000}
SECONDS_OF_LOAD=${2:-30}
SCRATCH=${SCRATCH:-/tmp/versus-bench}
cargo build --release -q
BIN=$PWD/target/release/versus
(cd tests/browser && [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error)

serve() { # site folder -> sets URL and PID
  local log; log=$(mktemp)
  "$BIN" serve --port 0 --root "$1" 2> "$log" &
  PID=$!
  for _ in $(seq 1 1200); do
    URL=$(sed -n 's/^Serving \(http[^ ]*\).*/\1/p' "$log" | head -1)
    [ -n "$URL" ] && break
    sleep 0.1
  done
  [ -n "$URL" ] || { cat "$log"; exit 1; }
}

echo "== save to page showing the edit, shipped knowledge base"
SHIPPED=$(mktemp -d); cp -r site.toml knowledge "$SHIPPED/"
serve "$SHIPPED"
node scripts/bench/reload.mjs "$URL" "$SHIPPED/knowledge/dimensions/run-duration.toml" \
  facts/run-duration/max-runtime/ "at most **15 minutes**" 10

echo "== load test, shipped knowledge base, ${SECONDS_OF_LOAD}s, 64 connections"
wrk -t2 -c64 -d"${SECONDS_OF_LOAD}s" --latency "${URL}api/search?q=15%20minutes" | grep -E "Requests/sec|99%|Non-2xx|Socket errors|requests in"
wrk -t2 -c64 -d"${SECONDS_OF_LOAD}s" --latency "${URL}dimensions/pricing/" | grep -E "Requests/sec|99%|Non-2xx|Socket errors|requests in"
kill -INT "$PID"; wait "$PID" 2>/dev/null || true

echo "== save to page showing the edit, $FACTS facts"
CORPUS=$SCRATCH/corpus-$FACTS
[ -f "$CORPUS/versus/site.toml" ] || python3 scripts/bench/corpus.py --facts "$FACTS" --out "$CORPUS" >/dev/null
serve "$CORPUS/versus"
FILES=("$CORPUS"/versus/knowledge/dimensions/*.toml)
FILE=${FILES[0]}
DIM=$(basename "$FILE" .toml)
# The first five words of the first fact's statement, which the dimension page shows.
NEEDLE=$(python3 -c 'import sys, tomllib; s = tomllib.load(open(sys.argv[1], "rb"))["facts"][0]["statement"]; print(" ".join(s.split()[:5]))' "$FILE")
node scripts/bench/reload.mjs "$URL" "$FILE" "dimensions/$DIM/" "$NEEDLE" 5
kill -INT "$PID"; wait "$PID" 2>/dev/null || true

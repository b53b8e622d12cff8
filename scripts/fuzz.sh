#!/usr/bin/env bash
# Fuzz the knowledge loader, the Markdown path and the search query path for a bounded time
# each (libFuzzer through cargo-fuzz, on the nightly toolchain), with the dictionary in
# fuzz/dictionaries/<target>.dict when there is one. Inputs that crash are copied to
# tests/fixtures/fuzz/<target>/, where the test suite replays them.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     # default 60
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
TARGETS=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^versus-fuzz$')
status=0
for target in $TARGETS; do
  corpus=fuzz/corpus/$target
  mkdir -p "$corpus"
  # Seed with the fixtures: real knowledge files and the inputs that crashed before.
  case $target in
    load_*) find tests/fixtures knowledge -name '*.toml' -size -64k -exec cp {} "$corpus/" \; 2>/dev/null || true ;;
  esac
  cp tests/fixtures/fuzz/"$target"/* "$corpus/" 2>/dev/null || true
  dict=()
  [ -f fuzz/dictionaries/"$target".dict ] && dict=(-dict=fuzz/dictionaries/"$target".dict)
  echo "== $target for ${SECONDS_PER_TARGET}s"
  if ! cargo +nightly fuzz run "$target" "$corpus" -- -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=65536 "${dict[@]}"; then
    status=1
  fi
  for crash in fuzz/artifacts/"$target"/*; do
    [ -f "$crash" ] || continue
    mkdir -p tests/fixtures/fuzz/"$target"
    cp "$crash" tests/fixtures/fuzz/"$target"/
    echo "kept $crash as a regression input"
  done
done
exit $status

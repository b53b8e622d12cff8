#!/usr/bin/env bash
# Search benchmark (not a test): for the shipped site and generated ones (1,000, 10,000 and
# 100,000 facts by default), reports the index size, the module size (raw, gzip, brotli), the
# bytes fetched and the time from the first keystroke to the first result in headless Chromium
# (and Pagefind's first search on the same built site, when Pagefind is installed), and native
# query latency p50/p99.
#
#   bash scripts/bench-search.sh [FACTS ...]
#
# Needs: node and tests/browser/node_modules (npm ci), Chromium, python3 and
# ../shared/bench/gen_corpus.py (GEN_CORPUS=...); Pagefind from
# `bash ../shared/bench/install_tools.sh` (PAGEFIND=...) for the baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${BENCH_DIR:-/tmp/versus-bench}
gen=${GEN_CORPUS:-$root/../shared/bench/gen_corpus.py}
pagefind=${PAGEFIND:-/tmp/bench/tools/pf/node_modules/@pagefind/linux-x64/bin/pagefind_extended}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000)
mkdir -p "$work"

cargo build --release --quiet
versus=${CARGO_TARGET_DIR:-$root/target}/release/versus
modules=""
for module in themes/default/static/search/versus_search{,_all}.wasm; do
  modules+=$(printf '"%s": {"raw": %s, "gzip": %s, "brotli": %s},' "$(basename $module)" \
    "$(stat -c %s $module)" "$(gzip -9 -c $module | wc -c)" "$(stat -c %s $module.br)")
done
echo "{\"modules\": {${modules%,}}}" > "$work/results.jsonl"

for size in shipped "${sizes[@]}"; do
  if [ "$size" = shipped ]; then
    site=$work/shipped; rm -rf "$site"; mkdir -p "$site"
    cp -r site.toml knowledge "$site/"; query="15 minutes"
  else
    [ -d "$work/gen-$size" ] || python3 "$gen" --facts "$size" --out "$work/gen-$size" --forms canonical >/dev/null
    site=$work/gen-$size/canonical; query="warm latency"
  fi
  rm -rf "$site/public"
  started=$(date +%s%N)
  "$versus" --root "$site" build --quiet
  build_s=$(( ($(date +%s%N) - started) / 1000000 ))e-3
  index=$site/public/search/index
  index_raw=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['total_size'])" "$index/manifest.json")
  index_br=$(python3 - "$index" <<'PY'
import os, sys
d = sys.argv[1]
print(sum(os.path.getsize(os.path.join(d, f + ".br")) if os.path.exists(os.path.join(d, f + ".br"))
          else os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if not f.endswith(".br")))
PY
)
  if [ -x "$pagefind" ]; then "$pagefind" --site "$site/public" >/dev/null 2>&1 || echo "pagefind failed on $size" >&2; fi
  browser=$(node tests/browser/bench.mjs "$site/public" "$query")
  native=$(cargo bench --quiet --profile release --bench search -- "$site/public" 2>/dev/null | tail -1)
  printf '{"site": "%s", "query": "%s", "build_s": %s, "index_raw": %s, "index_brotli": %s, "browser": %s, "native": %s}\n' \
    "$size" "$query" "$build_s" "$index_raw" "$index_br" "$browser" "$native" | tee -a "$work/results.jsonl"
done

python3 - "$work/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
kb = lambda b: f"{b / 1024:,.0f} KB"
print()
for name, m in rows[0]["modules"].items():
    print(f"{name}: {kb(m['raw'])} raw, {kb(m['gzip'])} gzip, {kb(m['brotli'])} brotli")
print()
print("| site | build | index raw / brotli | first search: bytes (requests) | keystroke to result | later query | Pagefind first search | ratio | native p50 / p99 |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows[1:]:
    v, p, n = r["browser"]["versus"], r["browser"]["pagefind"], r["native"]
    pf = f"{kb(p['bytes'])} ({p['requests']}), {p['ms']:.0f} ms" if p else "-"
    ratio = f"{v['bytes'] / p['bytes']:.2f}x" if p else "-"
    print(f"| {r['site']} | {r['build_s']:.1f} s | {kb(r['index_raw'])} / {kb(r['index_brotli'])} | "
          f"{kb(v['bytes'])} ({v['requests']}) | {v['ms']:.0f} ms | {v['warm_ms']:.0f} ms | {pf} | {ratio} | "
          f"{n['p50_ms']:.3f} / {n['p99_ms']:.3f} ms |")
PY

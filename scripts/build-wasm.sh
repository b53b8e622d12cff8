#!/usr/bin/env bash
# Builds the browser's search engine (scripts/search-wasm: tantivy and src/search/{query,
# exclusion,facets,schema,manifest,spelling}.rs compiled to wasm32-unknown-unknown) into themes/default/static/search/, where it
# is committed, so that `cargo build` needs no WebAssembly toolchain.
#
#   bash scripts/build-wasm.sh           rebuild and write versus_search{,_all}.wasm and .br copies
#   bash scripts/build-wasm.sh --check   rebuild; fail unless the committed modules are
#                                        byte-identical (CI runs this)
#
# Reproducible: paths are remapped, the lock file is used as is, and the toolchain is the one
# recorded in scripts/search-wasm/toolchain.txt (with another one, --check compares the
# exported functions instead of the bytes, and says so).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=themes/default/static/search
check=false
[ "${1:-}" = "--check" ] && check=true

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
for tool in brotli patch; do
  command -v $tool >/dev/null || { apt-get install -y -qq $tool >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $tool >/dev/null; }; }
done

cargo_home=${CARGO_HOME:-$HOME/.cargo}
target=${CARGO_TARGET_DIR:-$root/target}/search-wasm
export RUSTFLAGS="--cfg getrandom_backend=\"custom\" --remap-path-prefix=$root=/versus --remap-path-prefix=$cargo_home=/cargo"
toolchain=$(rustc -V)
recorded=$(cat scripts/search-wasm/toolchain.txt 2>/dev/null || true)

exports() {
  node -e 'const m = new WebAssembly.Module(require("fs").readFileSync(process.argv[1]));
    console.log(JSON.stringify([WebAssembly.Module.imports(m), WebAssembly.Module.exports(m)]))' "$1"
}

# tantivy and bitpacking as published (the main crate's sources, checked against its lock
# file), patched for the module (see scripts/search-wasm/Cargo.toml).
cargo fetch --locked --quiet
metadata=$(cargo metadata --format-version 1 --locked 2>/dev/null)
for crate in tantivy bitpacking; do
  source=$(node -e '
    const packages = JSON.parse(require("fs").readFileSync(0, "utf8")).packages;
    const found = packages.find((p) => p.name === process.argv[1] && (p.source ?? "").startsWith("registry+"));
    console.log(require("path").dirname(found.manifest_path));' "$crate" <<< "$metadata")
  patched=scripts/search-wasm/patched/$crate
  rm -rf "$patched"
  mkdir -p "$(dirname "$patched")"
  cp -r "$source" "$patched"
  chmod -R u+w "$patched"
  patch --quiet -p1 -d "$patched" < "scripts/search-wasm/$crate.patch"
done

# versus_search.wasm: English and languages without a stemmer (most sites);
# versus_search_all.wasm: every stemmer. The browser fetches one of them.
for variant in versus_search versus_search_all; do
  features=()
  [ $variant = versus_search_all ] && features=(--features all-languages)
  (cd scripts/search-wasm && cargo build --release --locked --target wasm32-unknown-unknown \
    --target-dir "$target" "${features[@]}")
  built=$target/wasm32-unknown-unknown/release/versus_search_wasm.wasm
  committed=$out/$variant.wasm
  if ! $check; then
    cp "$built" "$committed"
    brotli -q 11 -f -o "$committed.br" "$committed"
    ls -l "$committed" "$committed.br"
    continue
  fi
  if [ "$toolchain" = "$recorded" ]; then
    cmp "$built" "$committed" || { echo "$variant.wasm is stale: run scripts/build-wasm.sh" >&2; exit 1; }
    echo "$variant.wasm: rebuilt byte-identical ($toolchain)"
  else
    echo "note: $toolchain is not the recorded $recorded; comparing imports and exports only" >&2
    [ "$(exports "$built")" = "$(exports "$committed")" ] || { echo "$variant.wasm exports differ" >&2; exit 1; }
  fi
  brotli -d -c "$committed.br" | cmp - "$committed" || { echo "$variant.wasm.br is stale" >&2; exit 1; }
done
$check || echo "$toolchain" > scripts/search-wasm/toolchain.txt

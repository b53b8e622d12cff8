#!/usr/bin/env bash
# Builds the browser's search engine (scripts/search-wasm: tantivy and src/search/{query,schema,
# manifest}.rs compiled to wasm32-unknown-unknown) into themes/default/static/search/, where it
# is committed, so that `cargo build` needs no WebAssembly toolchain.
#
#   bash scripts/build-wasm.sh           rebuild and write versus_search.wasm and .wasm.br
#   bash scripts/build-wasm.sh --check   rebuild elsewhere; fail unless the committed module is
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
command -v brotli >/dev/null || { apt-get install -y -qq brotli >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq brotli >/dev/null; }; }

cargo_home=${CARGO_HOME:-$HOME/.cargo}
target=${CARGO_TARGET_DIR:-$root/target}/search-wasm
export RUSTFLAGS="--cfg getrandom_backend=\"custom\" --remap-path-prefix=$root=/versus --remap-path-prefix=$cargo_home=/cargo"
(cd scripts/search-wasm && cargo build --release --locked --target wasm32-unknown-unknown --target-dir "$target")
built=$target/wasm32-unknown-unknown/release/versus_search_wasm.wasm
toolchain=$(rustc -V)

exports() {
  node -e 'const m = new WebAssembly.Module(require("fs").readFileSync(process.argv[1]));
    console.log(JSON.stringify([WebAssembly.Module.imports(m), WebAssembly.Module.exports(m)]))' "$1"
}

if $check; then
  if [ "$toolchain" = "$(cat scripts/search-wasm/toolchain.txt)" ]; then
    cmp "$built" "$out/versus_search.wasm" || { echo "versus_search.wasm is stale: run scripts/build-wasm.sh" >&2; exit 1; }
    echo "versus_search.wasm: rebuilt byte-identical ($toolchain)"
  else
    echo "note: $toolchain is not the recorded $(cat scripts/search-wasm/toolchain.txt); comparing imports and exports only" >&2
    [ "$(exports "$built")" = "$(exports "$out/versus_search.wasm")" ] || { echo "versus_search.wasm exports differ" >&2; exit 1; }
  fi
  brotli -d -c "$out/versus_search.wasm.br" | cmp - "$out/versus_search.wasm" || { echo "versus_search.wasm.br is stale" >&2; exit 1; }
  exit 0
fi

cp "$built" "$out/versus_search.wasm"
brotli -q 11 -f -o "$out/versus_search.wasm.br" "$out/versus_search.wasm"
echo "$toolchain" > scripts/search-wasm/toolchain.txt
ls -l "$out"/versus_search.wasm*

// The search engine in the browser: loads versus_search.wasm (tantivy compiled to WebAssembly)
// and the index's manifest, fetches the chunks every first query needs in parallel, and the
// rest only when a query touches them (synchronously, which browsers allow only in workers).
// No wasm-bindgen: the module's raw exports are called through the helpers below.

/** A query the engine refused (too long, bad syntax): the engine itself is fine. */
export class RefusedQuery extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Loads the module and opens the index; resolves to { search(request), stats }. */
export async function openEngine(wasmUrl, indexUrl) {
  const started = performance.now();
  const stats = { requests: 0, bytes: 0, lazyChunks: 0, openMs: 0 };
  const manifestResponse = await fetch(new URL("manifest.json", indexUrl), { cache: "no-cache" });
  if (!manifestResponse.ok) throw new Error(`no search index (${manifestResponse.status})`);
  const manifestText = await manifestResponse.text();
  const manifest = JSON.parse(manifestText);
  const chunks = new Map();
  let memory = null;
  const imports = {
    env: {
      versus_read_chunk(pathPtr, pathLen, dst, len) {
        const path = decoder.decode(new Uint8Array(memory.buffer, pathPtr, pathLen));
        let bytes = chunks.get(path);
        chunks.delete(path); // the module keeps what it read
        if (!bytes) {
          bytes = fetchSync(new URL(path, indexUrl));
          stats.lazyChunks += 1;
        }
        if (!bytes || bytes.length !== len) return 1;
        new Uint8Array(memory.buffer, dst, len).set(bytes);
        return 0;
      },
      versus_random(ptr, len) {
        for (let at = 0; at < len; at += 65536) {
          crypto.getRandomValues(new Uint8Array(memory.buffer, ptr + at, Math.min(65536, len - at)));
        }
      },
    },
  };
  const prefetch = manifest.prefetch.map(async (path) => {
    const response = await fetch(new URL(path, indexUrl));
    if (response.ok) chunks.set(path, new Uint8Array(await response.arrayBuffer()));
  });
  const [module] = await Promise.all([
    fetch(wasmUrl).then((r) => r.arrayBuffer()).then((b) => WebAssembly.instantiate(b, imports)),
    ...prefetch,
  ]);
  const exports = module.instance.exports;
  memory = exports.memory;
  const call = (fn, text) => {
    const bytes = encoder.encode(text);
    const ptr = exports.alloc(bytes.length);
    new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
    fn(ptr, bytes.length);
    const out = new Uint8Array(memory.buffer, exports.output_ptr(), exports.output_len());
    const answer = JSON.parse(decoder.decode(out));
    if (answer.error !== undefined) throw new RefusedQuery(answer.error);
    return answer.ok;
  };
  try {
    call(exports.open, manifestText);
  } catch (error) {
    throw new Error(`cannot open the search index: ${error.message}`);
  }
  stats.openMs = performance.now() - started;
  stats.documents = manifest.documents;
  return { search: (request) => call(exports.search, JSON.stringify(request)), stats };
}

function fetchSync(url) {
  const xhr = new XMLHttpRequest();
  xhr.open("GET", url, false);
  xhr.responseType = "arraybuffer";
  xhr.send();
  return xhr.status === 200 ? new Uint8Array(xhr.response) : null;
}

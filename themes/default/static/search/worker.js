// The search engine in the browser, run off the page's main thread. It loads the WebAssembly
// module (tantivy and versus's query code) and the index's manifest, and fetches index chunks
// only when a call needs them: each call that misses chunks says which, they are fetched in
// parallel, and the call runs again. No wasm-bindgen: the raw exports are called directly.
//
// Messages in: { id, request, language } (no request: just load), or { id, warmUp: true,
// language }; out: { id, results } or { id, error, refused } ({ id, ready } to the others). The
// module and index load on the first message; the module with every stemmer only for the
// languages that need one.

/** A query the engine refused (too long, bad syntax): the engine itself is fine. */
class RefusedQuery extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Rounds of fetching before a call reads what it still misses synchronously. */
const MAX_ROUNDS = 8;
/**
 * What a warm-up searches: any site's facts, and a word common in English text, so that it runs
 * what a reader's query runs (parsing, text and exact fields, scoring, facets, excerpts).
 */
const WARM_UP = JSON.stringify({ query: "kind:fact OR the", limit: 8 });

/**
 * Loads the module at `wasmUrl` and opens the index at `indexUrl` (a folder URL ending in /);
 * resolves to { search(request) -> Promise<results>, warmUp(), stats }.
 */
async function openEngine(wasmUrl, indexUrl) {
  const started = performance.now();
  const stats = { rounds: 0, chunks: 0, openMs: 0 };
  const chunks = new Map(); // path -> Uint8Array fetched, not yet handed to the module
  const inflight = new Map(); // path -> Promise
  let memory = null;
  let synchronous = false;
  // While the index opens: the chunks handed to the module. Each round of opening starts
  // afresh and reads them again, so they are kept until it has opened.
  let opening = new Set();
  const fetchChunk = (path) => {
    if (!inflight.has(path)) {
      inflight.set(path, fetch(new URL(path, indexUrl)).then(async (response) => {
        if (!response.ok) throw new Error(`cannot fetch ${path}: ${response.status}`);
        chunks.set(path, new Uint8Array(await response.arrayBuffer()));
        stats.chunks += 1;
      }).finally(() => inflight.delete(path)));
    }
    return inflight.get(path);
  };
  const imports = {
    env: {
      versus_read_chunk(pathPtr, pathLen, dst, len) {
        const path = decoder.decode(new Uint8Array(memory.buffer, pathPtr, pathLen));
        let bytes = chunks.get(path);
        if (!bytes && !synchronous) return 2; // missing: the call reports it
        bytes ??= fetchSync(new URL(path, indexUrl));
        if (opening) opening.add(path);
        else chunks.delete(path); // the module keeps what it read
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
  // The module downloads from the start, at the same time as the manifest, but compiles (as
  // the rest downloads) only once the chunk requests are out: compiling keeps this thread busy,
  // which delayed reading the manifest, and so every chunk, by 30-40 ms on two busy cores.
  const download = fetch(wasmUrl);
  const manifestText = await fetch(new URL("manifest.json", indexUrl), { cache: "no-cache" }).then((r) => {
    if (!r.ok) throw new Error(`no search index (${r.status})`);
    return r.text();
  });
  const manifest = JSON.parse(manifestText);
  const prefetched = manifest.prefetch.map(fetchChunk);
  const compiled = WebAssembly.compileStreaming(download).catch(() =>
    fetch(wasmUrl).then((r) => r.arrayBuffer()).then((bytes) => WebAssembly.compile(bytes)));
  const [module] = await Promise.all([compiled, ...prefetched]);
  const exports = (await WebAssembly.instantiate(module, imports)).exports;
  memory = exports.memory;
  const once = (fn, text) => {
    const bytes = encoder.encode(text);
    const ptr = exports.alloc(bytes.length);
    new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
    fn(ptr, bytes.length);
    return JSON.parse(decoder.decode(new Uint8Array(memory.buffer, exports.output_ptr(), exports.output_len())));
  };
  const call = async (fn, text) => {
    for (let round = 1; ; round++) {
      synchronous = round > MAX_ROUNDS;
      const answer = once(fn, text);
      stats.rounds += 1;
      if (answer.missing) {
        await Promise.all(answer.missing.map(fetchChunk));
        continue;
      }
      if (answer.error !== undefined) throw new RefusedQuery(answer.error);
      return answer.ok;
    }
  };
  try {
    await call(exports.open, manifestText);
  } catch (error) {
    throw new Error(`cannot open the search index: ${error.message}`);
  } finally {
    for (const path of opening) chunks.delete(path);
    opening = null;
  }
  stats.openMs = performance.now() - started;
  stats.documents = manifest.documents;
  return {
    search: (request) => call(exports.search, JSON.stringify(request)),
    // V8 compiles a module's functions on their first call: a first query spends most of its
    // time (~40 ms) there. One round of a search compiles them before the reader types; it
    // fetches nothing (what it misses, it skips), so it costs no bytes.
    warmUp: () => {
      synchronous = false;
      once(exports.search, WARM_UP);
    },
    stats,
  };
}

/** The last resort of a call that keeps missing chunks; browsers allow it in workers only. */
function fetchSync(url) {
  const xhr = new XMLHttpRequest();
  xhr.open("GET", url, false);
  xhr.responseType = "arraybuffer";
  xhr.send();
  return xhr.status === 200 ? new Uint8Array(xhr.response) : null;
}

const OTHER_STEMMED = ["ar", "da", "nl", "fi", "fr", "de", "el", "hu", "it", "no", "nb", "nn", "pt", "ro", "ru", "es", "sv", "ta", "tr"];

let engine = null;

function load(language) {
  const primary = String(language ?? "en").toLowerCase().split(/[-_]/)[0];
  const module = OTHER_STEMMED.includes(primary) ? "versus_search_all.wasm" : "versus_search.wasm";
  return openEngine(new URL(module, import.meta.url), new URL("../../search/index/", import.meta.url));
}

self.onmessage = async (event) => {
  const { id, request, language, warmUp } = event.data;
  try {
    engine ??= load(language);
    const ready = await engine;
    if (warmUp) ready.warmUp();
    if (!request) {
      self.postMessage({ id, ready: true, stats: ready.stats });
      return;
    }
    const started = performance.now();
    const results = await ready.search(request);
    self.postMessage({ id, results, ms: performance.now() - started });
  } catch (error) {
    // A refused query leaves the engine usable; anything else (a trap, a failed fetch) loads
    // it again on the next query.
    const refused = error instanceof RefusedQuery;
    if (!refused) engine = null;
    self.postMessage({ id, error: String(error?.message ?? error), refused });
  }
};

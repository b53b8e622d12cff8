// Runs the search engine off the page's main thread. Messages in: { id, request }; out:
// { id, results } or { id, error }. The module and index load on the first message.
import { RefusedQuery, openEngine } from "./engine.js";

let engine = null;

self.onmessage = async (event) => {
  const { id, request } = event.data;
  try {
    engine ??= openEngine(new URL("versus_search.wasm", import.meta.url), new URL("../../search/index/", import.meta.url));
    const ready = await engine;
    if (!request) {
      self.postMessage({ id, ready: true, stats: ready.stats });
      return;
    }
    const started = performance.now();
    const results = ready.search(request);
    self.postMessage({ id, results, ms: performance.now() - started });
  } catch (error) {
    // A refused query leaves the engine usable; anything else (a trap, a failed fetch) loads
    // it again on the next query.
    const refused = error instanceof RefusedQuery;
    if (!refused) engine = null;
    self.postMessage({ id, error: String(error?.message ?? error), refused });
  }
};

// Runs the search engine off the page's main thread. Messages in: { id, request, language }
// (no request: just load); out: { id, results } or { id, error, refused }. The module and index
// load on the first message; the module with every stemmer only for languages that need one.
import { RefusedQuery, openEngine } from "./engine.js";

const OTHER_STEMMED = ["ar", "da", "nl", "fi", "fr", "de", "el", "hu", "it", "no", "nb", "nn", "pt", "ro", "ru", "es", "sv", "ta", "tr"];

let engine = null;

function load(language) {
  const primary = String(language ?? "en").toLowerCase().split(/[-_]/)[0];
  const module = OTHER_STEMMED.includes(primary) ? "versus_search_all.wasm" : "versus_search.wasm";
  return openEngine(new URL(module, import.meta.url), new URL("../../search/index/", import.meta.url));
}

self.onmessage = async (event) => {
  const { id, request, language } = event.data;
  try {
    engine ??= load(language);
    const ready = await engine;
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

// Benchmark, not a test (scripts/bench-search.sh runs it): for a built site, the bytes fetched
// and the time from the first keystroke to the first result, in a fresh headless Chromium with
// an empty cache, the search box focused and the query typed at once. It starts from the small
// 404 page, since a large site's overview page is megabytes of matrix. With a Pagefind bundle in
// SITE/pagefind/, the same for Pagefind's first search (the search and its first 5 results,
// as its default UI loads them). Prints one JSON object.
//   node bench.mjs SITE QUERY
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { launch, serve } from "./lib.mjs";

const [siteDir, query] = process.argv.slice(2);
const site = await serve(siteDir, { precompressed: true });
const browser = await launch();

/** Counts the bytes (body as transferred, and headers) of every request in a context. */
function meter(context) {
  const meter = { bytes: 0, requests: 0, counting: false, pending: [] };
  context.on("requestfinished", (request) => {
    if (!meter.counting) return;
    meter.requests += 1;
    meter.pending.push(request.sizes().then((s) => { meter.bytes += s.responseBodySize + s.responseHeadersSize; }).catch(() => {}));
  });
  return meter;
}

async function versus() {
  const context = await browser.newContext();
  const counted = meter(context);
  const page = await context.newPage();
  await page.goto(site.url + "404.html");
  await page.evaluate(() => {
    window.__bench = {};
    document.addEventListener("keydown", () => { window.__bench.key ??= performance.now(); }, { capture: true });
    document.addEventListener("versus:results", () => { window.__bench.result ??= performance.now(); });
  });
  counted.counting = true;
  await page.focus("#site-search-input");
  await page.keyboard.type(query);
  await page.waitForFunction(() => window.__bench.result !== undefined, null, { timeout: 120000 });
  const { key, result } = await page.evaluate(() => window.__bench);
  await Promise.all(counted.pending);
  const first = { bytes: counted.bytes, requests: counted.requests, ms: result - key };
  // A second query once everything is loaded: what every later keystroke costs.
  // Clearing the box is itself searched at once; its answer must not count as the next one's.
  await page.fill("#site-search-input", "");
  await page.waitForTimeout(300);
  await page.evaluate(() => { window.__bench = {}; });
  await page.keyboard.type("latency");
  await page.waitForFunction(() => window.__bench.result !== undefined, null, { timeout: 120000 });
  const warm = await page.evaluate(() => window.__bench.result - window.__bench.key);
  await context.close();
  return { ...first, warm_ms: warm };
}

async function pagefind() {
  if (!(await stat(join(siteDir, "pagefind/pagefind.js")).catch(() => null))) return null;
  const context = await browser.newContext();
  const counted = meter(context);
  const page = await context.newPage();
  await page.goto(site.url + "404.html");
  counted.counting = true;
  const ms = await page.evaluate(async (query) => {
    const started = performance.now();
    const pf = await import(new URL("pagefind/pagefind.js", location.href));
    await pf.init();
    const search = await pf.search(query);
    await Promise.all(search.results.slice(0, 5).map((r) => r.data()));
    return performance.now() - started;
  }, query);
  await Promise.all(counted.pending);
  await context.close();
  return { bytes: counted.bytes, requests: counted.requests, ms };
}

try {
  console.log(JSON.stringify({ versus: await versus(), pagefind: await pagefind() }));
} finally {
  await browser.close();
  await site.close();
}

// Search in the browser, driven by tests/suite/search.rs:
//   search.mjs SITE parity QUERIES.json OUT.json   run each request in the WebAssembly engine
//                                                 (in its worker) and write the answers
//   search.mjs SITE ui                            type in the header box and the search page
//   search.mjs SITE hostile                       refused queries never break the engine
import { readFile, writeFile } from "node:fs/promises";
import { check, run } from "./lib.mjs";

/** Runs requests through the site's own worker; resolves to [{ ids, total } | { error }]. */
async function inWorker(page, requests) {
  return page.evaluate(async (requests) => {
    const worker = new Worker(new URL("static/search/worker.js", location.href), { type: "module" });
    let next = 0;
    const ask = (request) => new Promise((resolve) => {
      const id = ++next;
      worker.addEventListener("message", function listen(event) {
        if (event.data.id !== id) return;
        worker.removeEventListener("message", listen);
        resolve(event.data);
      });
      worker.postMessage({ id, request, language: document.documentElement.lang });
    });
    const answers = [];
    for (const request of requests) {
      const answer = await ask(request);
      answers.push(answer.error !== undefined
        ? { error: answer.error }
        : { ids: answer.results.hits.map((h) => h.id), total: answer.results.total,
            excerpts: answer.results.hits.map((h) => h.excerpt_html), facets: answer.results.facets,
            did_you_mean: answer.results.did_you_mean ?? null });
    }
    worker.terminate();
    return answers;
  }, requests);
}

async function parity(browser, site, [queriesFile, outFile]) {
  const requests = JSON.parse(await readFile(queriesFile, "utf8"));
  const page = await browser.newPage();
  await page.goto(site.url);
  await writeFile(outFile, JSON.stringify(await inWorker(page, requests)));
}

async function hostile(browser, site) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(site.url);
  const requests = [
    { query: "(".repeat(10000), limit: 10 },
    { query: "- *", limit: 10 },
    { query: "x ".repeat(50000), limit: 10 },
    { query: "\"unbalanced quote", limit: 10 },
    { query: "(((((((((((((((((a)))))))))))))))))", limit: 10 },
    { query: "-".repeat(499) + "a", limit: 10 },
    { query: "pricing", limit: 100000 },
  ];
  const answers = await inWorker(page, requests);
  for (const [i, answer] of answers.slice(0, 5).entries()) {
    check(answer.error && !answer.error.includes("\n"), `hostile query ${i} gave ${JSON.stringify(answer)}`);
  }
  check(answers[6].ids && answers[6].ids.length <= 100, "a huge limit is bounded");
  const after = await inWorker(page, [{ query: "pricing", limit: 3 }]);
  check(after[0].ids?.length === 3, "the engine still answers after hostile queries");
  check(errors.length === 0, `page errors: ${errors}`);
}

async function ui(browser, site) {
  const page = await browser.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(site.url);
  check(!requests.some((u) => u.endsWith(".wasm") || u.includes("/search/index/")), "nothing loads before focus");
  await page.keyboard.press("/");
  check(await page.evaluate(() => document.activeElement?.id === "site-search-input"), "/ focuses the search box");
  await page.keyboard.type("15 minutes");
  await page.waitForSelector("#site-search-results .search-hit");
  const titles = await page.$$eval("#site-search-results .search-title", (n) => n.map((x) => x.textContent));
  check(titles.some((t) => t.startsWith("Serverless · Run duration")), `fact cards: ${titles}`);
  check(await page.$("#site-search-results mark"), "matched words are highlighted");
  check(await page.$("#site-search-results .search-chip"), "facet chips are shown");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  const selected = await page.$eval("#site-search-results [role=option][aria-selected=true]", (a) => a.href);
  await page.keyboard.press("Enter");
  await page.waitForURL(selected);
  await page.goto(site.url + "search/?q=" + encodeURIComponent("zzzqqq"));
  await page.waitForSelector(".search-empty");
  await page.goto(site.url + "search/?q=" + encodeURIComponent("vendor lock-in"));
  await page.waitForSelector("#search-page-results .search-hit");
  await page.fill("#search-page-input", "pricing");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("q") === "pricing");
  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noScript.newPage();
  await plain.goto(site.url + "search/");
  const fallback = await plain.textContent(".search-nojs-fallback");
  check(fallback.includes("versus search"), "without JavaScript the page says how to search from the CLI");
  await noScript.close();
}

await run(async (browser, site, [mode, ...args]) => {
  const modes = { parity, hostile, ui };
  check(modes[mode], `unknown mode ${mode}`);
  await modes[mode](browser, site, args);
});

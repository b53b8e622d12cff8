// Search in the browser, driven by tests/suite/search.rs:
//   search.mjs SITE parity QUERIES.json OUT.json   run each request in the WebAssembly engine
//                                                 (in its worker) and write the answers
//   search.mjs SITE ui                            type in the header box and the search page,
//                                                 filter by facets, pick hits with the keyboard
//   search.mjs SITE hostile                       refused queries never break the engine
//   search.mjs SITE loading                       the worker requests the index's chunks
//                                                 before it compiles the module
//   search.mjs SITE typing                        when the header box sends queries, and that
//                                                 the engine's warm-up shows nothing
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
  const fetched = [];
  page.context().on("request", (r) => {
    if (r.url().includes("/search/index/")) fetched.push(new URL(r.url()).pathname);
  });
  await page.goto(site.url);
  await writeFile(outFile, JSON.stringify(await inWorker(page, requests)));
  const again = [...new Set(fetched.filter((path, i) => fetched.indexOf(path) !== i))];
  check(fetched.length > 0 && again.length === 0, `index files fetched more than once: ${again.join(", ")}`);
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
    // Refused as by the CLI (the module's tantivy has no regex engine at all).
    { query: "title:/pri.*/", limit: 10 },
    { query: "-".repeat(499) + "a", limit: 10 },
    { query: "pricing", limit: 100000 },
  ];
  const answers = await inWorker(page, requests);
  for (const [i, answer] of answers.slice(0, 6).entries()) {
    check(answer.error && !answer.error.includes("\n"), `hostile query ${i} gave ${JSON.stringify(answer)}`);
  }
  check(answers[5].error.includes("Regex queries are not allowed"), `a regex query gave ${answers[5].error}`);
  check(answers[7].ids && answers[7].ids.length <= 100, "a huge limit is bounded");
  const after = await inWorker(page, [{ query: "pricing", limit: 3 }]);
  check(after[0].ids?.length === 3, "the engine still answers after hostile queries");
  check(errors.length === 0, `page errors: ${errors}`);
}

/** The search page's visible state: the count it shows, the hits' titles, the chips. */
function pageState(page) {
  return page.evaluate(() => ({
    status: document.querySelector("#search-page-results .search-status")?.textContent ?? "",
    titles: [...document.querySelectorAll("#search-page-results .search-title")].map((n) => n.textContent),
    chips: [...document.querySelectorAll("#search-page-results .search-chip")].map((c) => ({
      label: c.firstChild.textContent.trim(), count: Number(c.querySelector(".count").textContent),
      pressed: c.getAttribute("aria-pressed") === "true",
    })),
  }));
}

/** Waits until the search page shows something else than `before`, and returns it. */
async function changed(page, before) {
  await page.waitForFunction((before) => {
    const status = document.querySelector("#search-page-results .search-status")?.textContent ?? "";
    const titles = [...document.querySelectorAll("#search-page-results .search-title")].map((n) => n.textContent).join("|");
    return status + titles !== before;
  }, before.status + before.titles.join("|"), { timeout: 10000 })
    .catch(() => check(false, `the results did not change from "${before.status}"`));
  return pageState(page);
}

async function ui(browser, site) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(site.url);
  check(!requests.some((u) => u.endsWith(".wasm") || u.includes("/search/index/")), "nothing loads before focus");

  // The header box, with the keyboard only: / focuses it, the words typed are marked in the
  // excerpts, arrows pick a result and Enter opens its page.
  await page.keyboard.press("/");
  check(await page.evaluate(() => document.activeElement?.id === "site-search-input"), "/ focuses the search box");
  await page.keyboard.type("15 minutes");
  await page.waitForSelector("#site-search-results .search-hit");
  const titles = await page.$$eval("#site-search-results .search-title", (n) => n.map((x) => x.textContent));
  check(titles.some((t) => t.startsWith("Serverless · Run duration")), `fact cards: ${titles}`);
  const marked = await page.$$eval("#site-search-results mark", (n) => n.map((x) => x.textContent.toLowerCase()));
  check(marked.length > 0 && marked.every((m) => m === "15" || m.startsWith("minute")), `highlighted: ${marked}`);
  check(await page.$("#site-search-results .search-chip"), "facet chips are shown");
  check(await page.evaluate(() => document.activeElement?.id === "site-search-input"), "typing keeps the focus in the box");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  const selected = await page.$eval("#site-search-results [role=option][aria-selected=true]", (a) => ({
    href: a.href, id: a.id, title: a.querySelector(".search-title").textContent,
  }));
  const active = await page.$eval("#site-search-input", (i) => i.getAttribute("aria-activedescendant"));
  check(active === selected.id, `the box points screen readers at ${active}, not the selected ${selected.id}`);
  await page.keyboard.press("Enter");
  await page.waitForURL(selected.href, { timeout: 10000 })
    .catch(() => check(false, `Enter on the selected "${selected.title}" did not open ${selected.href}`));
  const heading = (await page.textContent("h1")).trim();
  check(heading && heading !== "Page not found", `Enter on "${selected.title}" opened "${heading}"`);

  // The search page: a facet narrows the hits and the counts, with Tab and Enter alone.
  await page.goto(site.url + "search/?q=" + encodeURIComponent("scaling"));
  await page.waitForSelector("#search-page-results .search-hit");
  const all = await pageState(page);
  const total = Number(all.status.split(" ")[0]);
  check(total > 1 && all.titles.length === Math.min(total, 50), `scaling: ${all.status}, ${all.titles.length} hits`);
  const subject = all.chips.find((c) => c.label === "containers");
  check(subject && subject.count < total && !subject.pressed, `a containers chip with fewer hits: ${JSON.stringify(all.chips)}`);
  await page.focus("#search-page-input");
  const chipIndex = all.chips.indexOf(subject);
  for (let i = 0; i <= chipIndex; i++) await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement?.textContent);
  check(focused.startsWith("containers"), `Tab reached "${focused}", not the containers chip`);
  await page.keyboard.press("Enter");
  const narrowed = await changed(page, all);
  check(narrowed.status === `${subject.count} result${subject.count === 1 ? "" : "s"}`, `after the containers chip: ${narrowed.status}, expected ${subject.count}`);
  check(narrowed.chips.find((c) => c.label === "containers")?.pressed, "the chosen chip shows as pressed");
  const facts = narrowed.titles.filter((t) => t.includes(" · "));
  check(facts.length > 0 && facts.every((t) => t.split(" · ")[0].split(" & ").includes("Containers")),
    `hits after filtering: ${narrowed.titles}`);
  const dimension = narrowed.chips.find((c) => c.label.startsWith("in ") && c.count < subject.count);
  check(dimension, `a dimension chip narrows further: ${JSON.stringify(narrowed.chips)}`);
  await page.locator("#search-page-results .search-chip", { hasText: dimension.label }).click();
  const both = await changed(page, narrowed);
  check(both.status.startsWith(`${dimension.count} result`), `after "${dimension.label}": ${both.status}`);
  await page.locator("#search-page-results .search-chip", { hasText: "containers" }).click();
  const widened = await changed(page, both);
  check(Number(widened.status.split(" ")[0]) > dimension.count, `unpressing containers keeps only "${dimension.label}": ${widened.status}`);
  // Back in the box, the arrows reach a filtered hit and Enter opens it.
  check(await page.evaluate(() => document.activeElement?.id === "search-page-input"), "a chip gives the focus back to the box");
  await page.keyboard.press("ArrowDown");
  const first = await page.$eval("#search-page-results [aria-selected=true]", (a) => a.href);
  await page.keyboard.press("Enter");
  await page.waitForURL(first, { timeout: 10000 })
    .catch(() => check(false, `Enter on a filtered hit did not open ${first}`));

  await page.goto(site.url + "search/?q=" + encodeURIComponent("zzzqqq"));
  await page.waitForSelector(".search-empty");
  check((await page.textContent("[role=status]")) === "No results", "screen readers hear that nothing matched");
  await page.goto(site.url + "search/?q=" + encodeURIComponent("vendor lock-in"));
  await page.waitForSelector("#search-page-results .search-hit");
  await page.fill("#search-page-input", "pricing");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("q") === "pricing");
  check(errors.length === 0, `page errors: ${errors}`);
  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noScript.newPage();
  await plain.goto(site.url + "search/");
  const fallback = await plain.textContent(".search-nojs-fallback");
  check(fallback.includes("versus search"), "without JavaScript the page says how to search from the CLI");
  await noScript.close();
}

/**
 * Records, in `window.__engine`, what the page posts to its search worker ({ at, request,
 * warmUp }) and when each answer comes back ({ at, ready, query }), with times from
 * performance.now().
 */
function spyOnWorker(page) {
  return page.addInitScript(() => {
    const log = (window.__engine = { posted: [], answered: [] });
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (message, ...rest) {
      log.posted.push({ at: performance.now(), request: message.request ?? null, warmUp: message.warmUp ?? false });
      return post.call(this, message, ...rest);
    };
    window.Worker = class extends Worker {
      constructor(...args) {
        super(...args);
        this.addEventListener("message", (event) => log.answered.push({
          at: performance.now(), ready: event.data.ready ?? false, query: event.data.results?.query ?? null,
        }));
      }
    };
  });
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** The queries the page has posted to its worker so far, in order. */
const postedQueries = (page) => page.evaluate(() => window.__engine.posted.filter((p) => p.request).map((p) => p.request.query));

async function typing(browser, site) {
  // Keystrokes while the engine loads (its module held back until they are typed) send
  // nothing; when it is ready, one query for all that was typed goes at once.
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await spyOnWorker(page);
  let release;
  const typed = new Promise((done) => { release = done; });
  await page.route("**/*.wasm", async (route) => {
    await typed;
    await route.continue();
  });
  const results = [];
  await page.exposeFunction("__results", (query) => results.push(query));
  await page.goto(site.url);
  await page.evaluate(() => document.addEventListener("versus:results", (e) => window.__results(e.detail.query)));
  await page.focus("#site-search-input");
  await page.keyboard.type("15 minutes", { delay: 100 });
  release();
  await page.waitForSelector("#site-search-results .search-hit", { timeout: 20000 });
  const log = await page.evaluate(() => window.__engine);
  const ready = log.answered.find((a) => a.ready);
  const queries = log.posted.filter((p) => p.request);
  check(ready, "the engine said it was ready");
  check(queries.length === 1 && queries[0].request.query === "15 minutes",
    `typing while the engine loads sent ${JSON.stringify(queries.map((q) => q.request.query))}, not one query`);
  check(queries[0].at >= ready.at && queries[0].at - ready.at < 100,
    `the query was sent ${queries[0].at - ready.at} ms after the engine was ready, not at once`);
  check(!log.posted.some((p) => p.warmUp), "no warm-up when a query is waiting");

  // Once it is ready and idle, a keystroke after a pause is searched at once (no debounce);
  // the rest of a burst makes one more query, and the last answer shown is for the last text.
  await page.fill("#site-search-input", "");
  await sleep(200);
  const before = (await postedQueries(page)).length;
  await page.evaluate(() => {
    document.addEventListener("input", () => { window.__typed ??= performance.now(); }, { capture: true });
  });
  await page.keyboard.type("cold start", { delay: 10 });
  await page.waitForFunction(() => document.querySelector("#site-search-input").value === "cold start");
  await page.waitForFunction((n) => window.__engine.posted.filter((p) => p.request).at(-1)?.request.query === "cold start"
    && window.__engine.answered.at(-1)?.query === "cold start", before, { timeout: 10000 })
    .catch(() => check(false, "the last keystroke was not searched"));
  const burst = (await postedQueries(page)).slice(before);
  const first = await page.evaluate(() => (window.__engine.posted.find((p) => p.request?.query === "c")?.at ?? Infinity) - window.__typed);
  check(burst[0] === "c" && first < 50, `after a pause, "c" was sent ${first} ms after it was typed (queries: ${burst})`);
  check(burst.length < "cold start".length, `a burst of keystrokes sent a query each: ${burst}`);
  await sleep(200);
  check(results.at(-1) === "cold start", `the results shown last are for "${results.at(-1)}"`);
  check(errors.length === 0, `page errors: ${errors}`);

  // Focused with nothing typed, the engine warms up, and that shows nothing.
  const idle = await browser.newPage();
  await spyOnWorker(idle);
  await idle.goto(site.url);
  await idle.evaluate(() => document.addEventListener("versus:results", () => { window.__shown = true; }));
  await idle.focus("#site-search-input");
  await idle.waitForFunction(() => window.__engine.answered.filter((a) => a.ready).length === 2, null, { timeout: 20000 })
    .catch(() => check(false, "the engine did not warm up after loading"));
  const warm = await idle.evaluate(() => ({
    posted: window.__engine.posted, shown: window.__shown ?? false,
    hidden: document.getElementById("site-search-results").hidden,
    expanded: document.getElementById("site-search-input").getAttribute("aria-expanded"),
    status: document.querySelector(".site-search [role=status]").textContent,
  }));
  check(warm.posted.length === 2 && warm.posted[1].warmUp && !warm.posted[1].request, `posted: ${JSON.stringify(warm.posted)}`);
  check(!warm.shown && warm.hidden && warm.expanded === "false" && warm.status === "",
    `the warm-up showed something: ${JSON.stringify(warm)}`);
}

async function loading(browser, site) {
  const page = await browser.newPage();
  // A document without the site's Content-Security-Policy, which allows no blob: worker.
  await page.goto(site.url + "search/index/manifest.json");
  const { log, prefetch, answer } = await page.evaluate(async () => {
    // The site's worker, run by a wrapper that logs its fetches and when it starts compiling.
    const wrapper = `
      const log = [];
      const realFetch = self.fetch;
      self.fetch = (url, init) => { log.push("fetch " + new URL(String(url)).pathname.split("/").pop()); return realFetch(url, init); };
      const realCompile = WebAssembly.compileStreaming;
      WebAssembly.compileStreaming = (source) => { log.push("compile"); return realCompile(source); };
      const post = self.postMessage.bind(self);
      self.postMessage = (message) => post({ ...message, log });
      await import(${JSON.stringify(new URL("/static/search/worker.js", location.href).href)});
      post({ wrapped: true });`;
    const url = URL.createObjectURL(new Blob([wrapper], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module" });
    const next = () => new Promise((done) => worker.addEventListener("message", (e) => done(e.data), { once: true }));
    await next();
    worker.postMessage({ id: 1, request: null, language: "en" });
    const answer = await next();
    worker.terminate();
    const manifest = await fetch(location.href).then((r) => r.json());
    return { log: answer.log, prefetch: manifest.prefetch, answer: { ready: answer.ready, error: answer.error } };
  });
  check(answer.ready, `the engine did not load: ${answer.error}`);
  const compile = log.indexOf("compile");
  const chunks = prefetch.map((path) => log.indexOf(`fetch ${path}`));
  check(compile >= 0 && chunks.every((at) => at >= 0 && at < compile),
    `the module compiled before the chunk requests were out: ${log.join(", ")}`);
}

await run(async (browser, site, [mode, ...args]) => {
  const modes = { parity, hostile, ui, loading, typing };
  check(modes[mode], `unknown mode ${mode}`);
  await modes[mode](browser, site, args);
});

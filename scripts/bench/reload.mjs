// Time from saving a knowledge file to the page showing it in the browser (a new <main>
// swapped in, or a reload when more than <main> changed), on a running
// `versus serve`, and to the server's reload event (the rebuild, without the browser's own
// reload), and, as a baseline in the same run, the browser reloading the unchanged page.
// Arguments: base URL, the dimension file to edit, a page that shows the edited
// text, the text to replace, and how many edits to time (default 10).
import { readFile, writeFile } from "node:fs/promises";
import { launch } from "../../tests/browser/lib.mjs";

const [, , base, file, path, needle, runs = "10"] = process.argv;
const browser = await launch();
const original = await readFile(file, "utf8");
if (!original.includes(needle)) throw new Error(`${file} does not contain ${needle}`);
const times = [];
const events = [];
const baseline = [];
try {
  // A second tab listens to the server's events from a page that does not reload itself.
  const listener = await browser.newPage();
  await listener.goto(base + "sitemap.xml");
  await listener.evaluate(() => {
    window.reloads = [];
    const source = new EventSource("/__versus/events");
    source.addEventListener("reload", () => window.reloads.push(performance.timeOrigin + performance.now()));
  });
  const page = await browser.newPage();
  await page.goto(base + path);
  // The baseline: the browser reloading the same page with nothing changed, in the same run.
  for (let i = 0; i < Number(runs); i++) {
    await page.waitForFunction(() => document.documentElement.dataset.versusLive === "connected", null, { timeout: 60000 });
    const started = performance.now();
    await page.reload({ waitUntil: "load" });
    baseline.push(performance.now() - started);
  }
  for (let i = 0; i < Number(runs); i++) {
    await page.waitForFunction(() => document.documentElement.dataset.versusLive === "connected", null, { timeout: 60000 });
    const token = `zq${i}x${Date.now()}zq`;
    const marker = `${needle} ${token}`;
    const seen = await listener.evaluate(() => window.reloads.length);
    const saved = performance.now();
    const savedAt = performance.timeOrigin + saved;
    await writeFile(file, original.replace(needle, marker));
    // The page shows the edit: a new <main> swapped in, or a reload.
    await page.waitForFunction((t) => document.body?.innerHTML.includes(t), token, { timeout: 60000, polling: "raf" });
    const elapsed = performance.now() - saved;
    await listener.waitForFunction((n) => window.reloads.length > n, seen);
    events.push((await listener.evaluate((n) => window.reloads[n], seen)) - savedAt);
    times.push(elapsed);
    await new Promise((ok) => setTimeout(ok, 300));
  }
} finally {
  await writeFile(file, original);
  await browser.close();
}
const median = (xs) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
console.log(JSON.stringify({
  runs: times.length,
  page_shows_edit_median_ms: median(times),
  page_shows_edit_min_ms: Math.round(Math.min(...times)),
  page_shows_edit_max_ms: Math.round(Math.max(...times)),
  reload_event_median_ms: median(events),
  browser_reload_alone_median_ms: median(baseline),
}));

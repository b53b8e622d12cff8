// Time from saving a knowledge file to the reloaded page in the browser, on a running
// `versus serve`. Arguments: base URL, the dimension file to edit, a page that shows the
// edited text, the text to replace, and how many edits to time (default 10).
import { readFile, writeFile } from "node:fs/promises";
import { launch } from "../../tests/browser/lib.mjs";

const [, , base, file, path, needle, runs = "10"] = process.argv;
const browser = await launch();
const original = await readFile(file, "utf8");
if (!original.includes(needle)) throw new Error(`${file} does not contain ${needle}`);
const times = [];
try {
  const page = await browser.newPage();
  await page.goto(base + path);
  for (let i = 0; i < Number(runs); i++) {
    await page.waitForFunction(() => document.documentElement.dataset.versusLive === "connected", null, { timeout: 60000 });
    const token = `zq${i}x${Date.now()}zq`;
    const marker = `${needle} ${token}`;
    const loaded = page.waitForEvent("load", { timeout: 60000 });
    const saved = performance.now();
    await writeFile(file, original.replace(needle, marker));
    await loaded;
    const elapsed = performance.now() - saved;
    if (!(await page.content()).includes(token)) throw new Error(`reloaded without edit ${i}`);
    times.push(elapsed);
    await new Promise((ok) => setTimeout(ok, 300));
  }
} finally {
  await writeFile(file, original);
  await browser.close();
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(JSON.stringify({ runs: times.length, median_ms: Math.round(median), min_ms: Math.round(times[0]), max_ms: Math.round(times[times.length - 1]) }));

// Live reload: a page open on `versus serve` reloads by itself after its source changes.
// Arguments: the site folder (unused), the server's base URL, and the dimension file to edit.
import { readFile, writeFile } from "node:fs/promises";
import { check, launch } from "./lib.mjs";

const [, , , base, file] = process.argv;
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(base + "facts/run-duration/max-runtime/");
  check((await page.textContent("h1")).includes("15 minutes"), "the fact page shows the fact");
  // Wait until the page listens for rebuilds.
  await page.waitForFunction(() => document.documentElement.dataset.versusLive === "connected", null, { timeout: 10000 });
  const original = await readFile(file, "utf8");
  const reloaded = page.waitForEvent("load", { timeout: 10000 });
  const saved = performance.now();
  await writeFile(file, original.replace("at most **15 minutes**", "at most **fifteen minutes**"));
  await reloaded;
  const elapsed = performance.now() - saved;
  const heading = await page.textContent("h1");
  await writeFile(file, original);
  check(heading.includes("fifteen minutes"), `after the edit the page shows: ${heading}`);
  console.log(`reloaded ${elapsed.toFixed(0)} ms after the save`);
} finally {
  await browser.close();
}

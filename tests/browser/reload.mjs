// Live reload: a page open on `versus serve` shows an edit to its source by itself. A page whose
// scripts allow it takes the new <main> in place (its state outside <main> kept, its Copy buttons
// set up again); any other page, such as the decision wizard, reloads.
// Arguments: the site folder (unused), the server's base URL, and the dimension file to edit.
import { readFile, writeFile } from "node:fs/promises";
import { check, launch } from "./lib.mjs";

const [, , , base, file] = process.argv;
const original = await readFile(file, "utf8");
const listening = (page) =>
  page.waitForFunction(() => document.documentElement.dataset.versusLive === "connected", null, { timeout: 10000 });
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(base + "facts/run-duration/max-runtime/");
  check((await page.textContent("h1")).includes("15 minutes"), "the fact page shows the fact");
  await listening(page);
  const copyButtons = await page.locator(".copy-button").count();
  check(copyButtons > 0, "the fact page has Copy buttons");
  // A mark that survives an update in place and not a reload.
  await page.evaluate(() => { window.versusMark = "kept"; });
  const saved = performance.now();
  await writeFile(file, original.replace("at most **15 minutes**", "at most **fifteen minutes**"));
  await page.waitForFunction(() => document.querySelector("h1")?.textContent.includes("fifteen minutes"), null, { timeout: 10000 });
  const elapsed = performance.now() - saved;
  check(await page.evaluate(() => window.versusMark === "kept"), "the page was updated in place, not reloaded");
  check(await page.evaluate(() => document.documentElement.dataset.versusUpdates === "1"), "one update was marked");
  check((await page.locator(".copy-button").count()) === copyButtons, "the Copy buttons are set up again, once");
  const description = await page.getAttribute('meta[name="description"]', "content");
  check(description.includes("fifteen minutes"), `the description follows the edit: ${description}`);
  console.log(`updated in place ${elapsed.toFixed(0)} ms after the save`);

  // A broken edit shows the overlay; fixing it takes the overlay away, in place.
  await writeFile(file, original.replace("at most **15 minutes**", "at most **fifteen minutes**") + "\nbroken = [");
  await page.waitForSelector("#versus-overlay", { timeout: 10000 });
  check((await page.textContent("#versus-overlay pre")).includes("run-duration.toml"), "the overlay names the file");
  await writeFile(file, original.replace("at most **15 minutes**", "at most **fifteen minutes**"));
  await page.waitForSelector("#versus-overlay", { state: "detached", timeout: 10000 });
  check(await page.evaluate(() => window.versusMark === "kept"), "the fixed edit is shown in place too");

  // Two edits in a row, the first page's fetch slow to answer: the page ends on the second.
  const factUrl = base + "facts/run-duration/max-runtime/";
  let firstFetch;
  const started = new Promise((resolve) => { firstFetch = resolve; });
  let delayed = false;
  await page.route(factUrl, async (route) => {
    if (delayed) return route.continue();
    delayed = true;
    const response = await route.fetch();
    firstFetch();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.fulfill({ response });
  });
  await writeFile(file, original.replace("at most **15 minutes**", "at most **first edit**"));
  await started;
  await writeFile(file, original.replace("at most **15 minutes**", "at most **second edit**"));
  await page.waitForFunction(() => document.querySelector("h1")?.textContent.includes("second edit"), null, { timeout: 10000 });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const last = await page.textContent("h1");
  check(last.includes("second edit"), `after two edits the page shows: ${last}`);
  await page.unroute(factUrl);

  // The wizard builds its steps with a script that does not follow updates: that page reloads.
  const wizard = await browser.newPage();
  await wizard.goto(base + "decide/");
  await listening(wizard);
  await wizard.evaluate(() => { window.versusMark = "kept"; });
  const reloaded = wizard.waitForEvent("load", { timeout: 10000 });
  await writeFile(file, original.replace("at most **15 minutes**", "at most **a quarter hour**"));
  await reloaded;
  check(await wizard.evaluate(() => window.versusMark === undefined), "the wizard page reloaded");
  await page.waitForFunction(() => document.querySelector("h1")?.textContent.includes("a quarter hour"), null, { timeout: 10000 });
} finally {
  await writeFile(file, original);
  await browser.close();
}

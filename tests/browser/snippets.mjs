// "Embed this" on a fact or dimension page: without JavaScript the snippets are read-only text
// to select; with it, each gets a Copy button that puts exactly that text on the clipboard.
// Arguments after the site folder: page paths.
import { check, run } from "./lib.mjs";

await run(async (browser, site, paths) => {
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const scripted = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  for (const path of paths) {
    const page = await plain.newPage();
    await page.goto(site.url + path);
    const boxes = await page.locator("textarea.snippet-text[readonly]").count();
    check(boxes === 5, `${path}: ${boxes} snippet boxes without JavaScript`);
    check(await page.locator("button.copy-button").count() === 0, `${path}: Copy buttons without JavaScript`);
    await page.close();

    const live = await scripted.newPage();
    await live.goto(site.url + path);
    const buttons = live.locator("button.copy-button");
    check(await buttons.count() === 5, `${path}: one Copy button per snippet`);
    await live.locator("details.snippet").nth(1).locator("summary").click();
    await buttons.nth(1).click();
    await live.waitForFunction(() => document.querySelectorAll(".copy-status")[1].textContent !== "");
    const copied = await live.evaluate(() => navigator.clipboard.readText());
    const shown = await live.locator("textarea.snippet-text").nth(1).inputValue();
    check(copied === shown, `${path}: the clipboard holds something else than the snippet`);
    check(shown.startsWith("| "), `${path}: the second snippet is not the Markdown table`);
    await live.close();
  }
  await plain.close();
  await scripted.close();
});

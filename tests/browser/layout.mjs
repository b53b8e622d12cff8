// Layout: every page type fits a 360 px phone without horizontal scrolling, and honours the
// dark colour scheme.
import { check, run } from "./lib.mjs";

await run(async (browser, site, pages) => {
  for (const scheme of ["light", "dark"]) {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, colorScheme: scheme });
    const page = await context.newPage();
    for (const path of pages) {
      await page.goto(site.url + path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 0, `${path} scrolls sideways by ${overflow}px at 360px (${scheme})`);
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const dark = background !== "rgb(255, 255, 255)";
      check(dark === (scheme === "dark"), `${path}: background ${background} in ${scheme} mode`);
    }
    await context.close();
  }
});

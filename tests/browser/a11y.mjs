// Accessibility audit with axe-core: every page given, in the light and the dark colour scheme,
// must have no violation of impact "serious" or "critical". Pages are audited as a reader meets
// them, with JavaScript on (the wizard shown, the search page's results rendered; a path that
// ends in `#type=WORDS` audits the header's results panel for WORDS: see `visit` in lib.mjs).
// Each violation prints its rule, the nodes it was found on and axe's help text. With
// VERSUS_SCREENSHOTS=DIR, a screenshot of each page is written there.
//   a11y.mjs SITE PATH...
import { createRequire } from "node:module";
import { check, run, visit } from "./lib.mjs";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const BLOCKING = new Set(["serious", "critical"]);

/** The violations that fail the audit, one readable block each. */
function report(path, scheme, violations) {
  return violations
    .filter((v) => BLOCKING.has(v.impact))
    .map((v) => {
      const nodes = v.nodes.slice(0, 5).map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1).join(" ").trim()}`);
      const more = v.nodes.length > 5 ? [`    … and ${v.nodes.length - 5} more`] : [];
      return [`${path || "/"} (${scheme}): ${v.id} [${v.impact}] ${v.help}`, ...nodes, ...more, `    ${v.helpUrl}`].join("\n");
    });
}

await run(async (browser, site, paths) => {
  const failures = [];
  const shots = process.env.VERSUS_SCREENSHOTS;
  for (const scheme of ["light", "dark"]) {
    // The site's Content-Security-Policy forbids inline scripts, as it should; axe is one.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: scheme, bypassCSP: true });
    const page = await context.newPage();
    for (const path of paths) {
      await visit(page, site, path);
      await page.addScriptTag({ path: AXE });
      const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
      failures.push(...report(path, scheme, violations));
      if (shots) {
        const name = (path || "index").replace(/[^a-z0-9]+/gi, "_");
        await page.screenshot({ path: `${shots}/${name}-${scheme}.png`, fullPage: true });
      }
    }
    await context.close();
  }
  check(failures.length === 0, `accessibility violations:\n${failures.join("\n")}`);
});

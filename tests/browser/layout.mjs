// Layout: every page given fits a 360 px phone without horizontal scrolling, nothing on it
// (the header's search results included) reaches past the right edge, and the dark colour
// scheme really changes the page's colours while its text stays readable (WCAG AA contrast,
// 4.5:1, for body text, links and muted text). Paths are opened with `visit` (lib.mjs), so
// `#type=WORDS` lays out the header's results panel too.
//   layout.mjs SITE PATH...
import { check, run, visit } from "./lib.mjs";

/** The colours that matter on a page, as the browser computed them. */
function colours() {
  const parse = (css) => {
    const [r, g, b, a = 1] = css.match(/[\d.]+/g).map(Number);
    return { r, g, b, a };
  };
  // The background a text is drawn on: the nearest ancestor with an opaque one.
  const background = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c.a === 1) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const pair = (selector) => {
    const node = document.querySelector(selector);
    return node && { selector, fg: parse(getComputedStyle(node).color), bg: background(node) };
  };
  return {
    body: pair("body"),
    samples: ["main p", "main a[href]", ".lede, .hint, .eyebrow, .aka, .attribution", "footer"].map(pair).filter(Boolean),
  };
}

function luminance({ r, g, b }) {
  const channel = (v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

await run(async (browser, site, paths) => {
  const seen = { light: new Map(), dark: new Map() };
  for (const scheme of ["light", "dark"]) {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, colorScheme: scheme });
    const page = await context.newPage();
    for (const path of paths) {
      const label = path || "/";
      await visit(page, site, path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 0, `${label} scrolls sideways by ${overflow}px at 360px (${scheme})`);
      const outside = await page.evaluate(() => {
        const past = (n) => n.getBoundingClientRect().right > window.innerWidth + 0.5;
        // Cut off by an ancestor that clips or scrolls, itself inside the page: not outside.
        const clipped = (n) => {
          for (let a = n.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== "visible" && !past(a)) return true;
          }
          return false;
        };
        return [...document.querySelectorAll("body *")]
          .filter((n) => n.getClientRects().length && getComputedStyle(n).visibility !== "hidden")
          .filter((n) => !n.closest(".skip-link") && past(n) && !clipped(n))
          .map((n) => `${n.tagName.toLowerCase()}${[...n.classList].map((c) => "." + c).join("")}`)
          .slice(0, 5);
      });
      check(outside.length === 0, `${label}: ${outside.join(", ")} reach past the right edge at 360px (${scheme})`);
      const found = await page.evaluate(colours);
      seen[scheme].set(path, found);
      for (const { selector, fg, bg } of [found.body, ...found.samples]) {
        const ratio = contrast(fg, bg);
        check(ratio >= 4.5, `${label}: ${selector} has contrast ${ratio.toFixed(2)}:1 in ${scheme} mode`);
      }
    }
    await context.close();
  }
  for (const path of paths) {
    const [light, dark] = [seen.light.get(path).body, seen.dark.get(path).body];
    check(luminance(light.bg) > 0.8 && luminance(light.fg) < 0.1, `${path || "/"}: light mode is not dark text on a light page`);
    check(luminance(dark.bg) < 0.05 && luminance(dark.fg) > 0.6, `${path || "/"}: dark mode is not light text on a dark page`);
  }
});

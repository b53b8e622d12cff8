// Embeds in an iframe on another origin: the host page is served from `localhost` on a second
// port while the site is on 127.0.0.1, so the two are cross-origin. Each embed must show its
// content, and post its height ("iframe.resize") so that the host can fit the iframe to it.
// Arguments after the site folder: `<embed path>|<text the embed must show>`.
import { createServer } from "node:http";
import { check, run } from "./lib.mjs";

/** A host page that frames `src` and resizes the iframe to the heights it is sent. */
function hostPage(src) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Host</title></head><body>
<iframe id="embed" src="${src}" style="width:600px;height:120px;border:0"></iframe>
<script>
window.heights = [];
addEventListener("message", (event) => {
  let data;
  try { data = typeof event.data === "string" ? JSON.parse(event.data) : event.data; } catch { return; }
  if (!data || data.context !== "iframe.resize") return;
  window.heights.push({ origin: event.origin, height: data.height, src: data.src });
  document.getElementById("embed").style.height = data.height + "px";
});
</script></body></html>`;
}

await run(async (browser, site, specs) => {
  const host = createServer((req, res) => {
    const src = new URL(req.url, "http://x").searchParams.get("src") ?? "";
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(hostPage(src.replace(/"/g, "&quot;")));
  });
  await new Promise((ok) => host.listen(0, "127.0.0.1", ok));
  const hostUrl = `http://localhost:${host.address().port}/`;
  const siteOrigin = new URL(site.url).origin;
  try {
    for (const scheme of ["light", "dark"]) {
      const context = await browser.newContext({ viewport: { width: 800, height: 600 }, colorScheme: scheme });
      const page = await context.newPage();
      for (const spec of specs) {
        const [path, expected] = spec.split("|");
        const src = site.url + path;
        await page.goto(`${hostUrl}?src=${encodeURIComponent(src)}`);
        await page.waitForFunction(() => window.heights.length > 0, null, { timeout: 10000 })
          .catch(() => check(false, `${path}: no height message within 10 s (${scheme})`));
        const message = await page.evaluate(() => window.heights.at(-1));
        check(message.origin === siteOrigin, `${path}: message from ${message.origin}, not ${siteOrigin}`);
        check(message.src === src, `${path}: message names ${message.src}`);
        check(message.height > 60 && message.height < 5000, `${path}: implausible height ${message.height}`);
        const frame = page.frames().find((f) => f.url() === src);
        check(frame, `${path}: iframe not loaded`);
        const frameOrigin = await frame.evaluate(() => location.origin);
        const hostOrigin = await page.evaluate(() => location.origin);
        check(frameOrigin !== hostOrigin, `${path}: embed and host share an origin`);
        const text = await frame.evaluate(() => document.body.innerText);
        check(text.includes(expected), `${path}: embed does not show "${expected}"`);
        // Once resized, the iframe shows the whole embed: nothing left to scroll inside.
        await page.waitForTimeout(100);
        const height = await page.evaluate(() => window.heights.at(-1).height);
        const scroll = await frame.evaluate(() => document.documentElement.scrollHeight - innerHeight);
        check(scroll <= 1, `${path}: ${scroll}px still scroll inside a ${height}px iframe (${scheme})`);
        const background = await frame.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const dark = background !== "rgb(255, 255, 255)";
        check(dark === (scheme === "dark"), `${path}: background ${background} in ${scheme} mode`);
      }
      await context.close();
    }
  } finally {
    await new Promise((ok) => host.close(ok));
  }
});

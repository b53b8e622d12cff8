// Shared helpers for the browser tests: a static file server on loopback for a built site,
// and headless Chromium launched the way this machine and CI need it.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { chromium } from "playwright-core";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".xml": "application/xml",
  ".svg": "image/svg+xml",
  ".csv": "text/csv; charset=utf-8",
};

/**
 * Serves `root` on 127.0.0.1 at a free port; resolves to { url, close }. With `precompressed`,
 * answers a request that accepts brotli with the file's `.br` copy when there is one, as nginx's
 * `brotli_static` does.
 */
export async function serve(root, { precompressed = false } = {}) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      let file = normalize(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) throw new Error("outside");
      if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, "index.html");
      const type = TYPES[extname(file)] ?? "application/octet-stream";
      const brotli = precompressed && /\bbr\b/.test(req.headers["accept-encoding"] ?? "")
        ? await readFile(file + ".br").catch(() => null) : null;
      const body = brotli ?? await readFile(file);
      res.writeHead(200, { "content-type": type, ...(brotli ? { "content-encoding": "br" } : {}) });
      res.end(body);
    } catch {
      const body = await readFile(join(base, "404.html")).catch(() => "not found");
      res.writeHead(404, { "content-type": "text/html; charset=utf-8" });
      res.end(body);
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Headless Chromium with the flags a machine without network access needs. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Opens a page of the site as a reader meets it: `path` is relative to the site root and may
 * end in `#type=WORDS` to type WORDS into the header search box and wait for its results. A
 * search page with `?q=` waits for its results, the decision page for its wizard.
 */
export async function visit(page, site, path) {
  const [address, typed] = path.split("#type=");
  await page.goto(site.url + address);
  if (typed !== undefined) {
    await page.locator("#site-search-input").fill(decodeURIComponent(typed.replace(/\+/g, " ")));
    await page.waitForSelector("#site-search-results .search-hit", { timeout: 20000 });
  } else if (address.startsWith("search/?q=")) {
    await page.waitForSelector("#search-page-results .search-hit", { timeout: 20000 });
  } else if (address.startsWith("decide/")) {
    await page.waitForSelector("#wizard:not([hidden]) button.answer");
  }
}

/** Fails the test with a message. */
export function check(condition, message) {
  if (!condition) {
    console.error(`FAIL: ${message}`);
    process.exit(1);
  }
}

/** Runs `body(browser, site)` against the built site folder given as the first argument. */
export async function run(body) {
  const siteDir = process.argv[2];
  const site = await serve(siteDir);
  const browser = await launch();
  try {
    await body(browser, site, process.argv.slice(3));
  } finally {
    await browser.close();
    await site.close();
  }
}

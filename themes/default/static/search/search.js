// Search as you type: the header box on every page and the search page (search/?q=...). The
// engine (WebAssembly, in a worker) loads on the first focus of a search box, not before.
// Pages work without this script: the header form then opens the search page, which says how
// to search from the command line.

const KINDS = { fact: "Facts", question: "Questions", dimension: "Dimensions", subject: "Subjects" };
/** Keystrokes closer together than this make one query, sent when they stop. */
const DEBOUNCE_MS = 60;

let worker = null;
/** The answer to the worker's first message: settles when its engine is ready or failed to load. */
let loaded = null;
let nextId = 1;
const pending = new Map();

/** Starts the worker (once) and asks it to load the module and index. */
function engine() {
  if (!worker) {
    worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
    worker.onmessage = (event) => {
      const done = pending.get(event.data.id);
      pending.delete(event.data.id);
      done?.(event.data);
    };
    worker.onerror = () => {
      for (const done of pending.values()) done({ error: "search could not start" });
      pending.clear();
      worker = null;
    };
    loaded = send({ request: null });
  }
  return worker;
}

/** Posts `message` to the worker (see worker.js); resolves to its answer. */
function send(message) {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    engine().postMessage({ id, language: document.documentElement.lang, ...message });
  });
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** One search box with its results panel: the header's, or the search page's. */
class SearchBox {
  constructor(input, panel, { root, limit, page }) {
    Object.assign(this, { input, panel, root, limit, page });
    this.filters = { subject: null, dimension: null };
    this.active = -1;
    this.sequence = 0;
    this.timer = 0;
    this.preparing = null;
    this.ready = false;
    this.typedWhileLoading = false;
    this.lastRun = -Infinity;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", `${panel.id}-list`);
    input.setAttribute("aria-expanded", "false");
    // Says how many results there are, for screen readers; the panel's content changes too
    // often to be a live region itself.
    this.live = element("p", { class: "visually-hidden", role: "status" });
    panel.after(this.live);
    input.addEventListener("focus", () => this.prepare(), { once: true });
    input.addEventListener("input", () => this.schedule());
    input.addEventListener("keydown", (event) => this.key(event));
    if (!page) {
      document.addEventListener("click", (event) => {
        if (!input.form.contains(event.target)) this.close();
      });
    }
  }

  /**
   * Loads the engine. Keystrokes meanwhile send nothing: once it is ready, what the box holds
   * by then is searched at once, as one query (the reader has waited long enough); with
   * nothing typed, the engine warms up instead, so that the first query is as fast as later ones.
   */
  prepare() {
    this.preparing ??= (async () => {
      engine();
      const answer = await loaded;
      this.ready = true;
      if (this.typedWhileLoading) this.run();
      else if (answer.ready && this.sequence === 0) send({ warmUp: true });
    })();
    return this.preparing;
  }

  /** Searches at once after a pause in typing (leading edge), else when typing pauses. */
  schedule() {
    clearTimeout(this.timer);
    if (!this.ready) {
      this.typedWhileLoading = true;
      this.prepare();
    } else if (performance.now() - this.lastRun >= DEBOUNCE_MS) {
      this.run();
    } else {
      this.timer = setTimeout(() => this.run(), DEBOUNCE_MS);
    }
  }

  async run() {
    const query = this.input.value.trim();
    const sequence = ++this.sequence;
    this.lastRun = performance.now();
    if (this.page) {
      const url = new URL(location.href);
      if (query) url.searchParams.set("q", query);
      else url.searchParams.delete("q");
      history.replaceState(null, "", url);
    }
    if (!query) return this.close();
    // Say "Searching…" only when an answer is slow (the first one loads the engine).
    const slow = setTimeout(() => {
      if (sequence === this.sequence) this.show([element("p", { class: "search-status" }, "Searching…")], false);
    }, 150);
    const request = { query, limit: this.limit, ...this.filters };
    const answer = await send({ request });
    clearTimeout(slow);
    if (sequence !== this.sequence) return; // a newer query is on its way
    if (answer.error) {
      const message = answer.refused ? answer.error
        : `Search is unavailable here (${answer.error}). From a terminal: versus search "${query}"`;
      return this.show([element("p", { class: "search-status search-error", role: "alert" }, message)], false);
    }
    this.render(answer.results);
    document.dispatchEvent(new CustomEvent("versus:results", { detail: { query, results: answer.results } }));
  }

  render(results) {
    const parts = [];
    if (results.did_you_mean) {
      parts.push(element("p", { class: "search-status" }, `No results for “${results.query}”. Showing results for `,
        element("strong", {}, results.did_you_mean), "."));
    }
    const count = `${results.total} result${results.total === 1 ? "" : "s"}`;
    this.live.textContent = results.total === 0 ? "No results" : count;
    if (results.total === 0) {
      parts.push(element("p", { class: "search-status search-empty" },
        `No results for “${results.query}”. Try fewer words, other words, or check the spelling.`));
      return this.show(parts, false);
    }
    if (this.page) parts.push(element("p", { class: "search-status" }, count));
    parts.push(this.chips(results));
    // A listbox holds only options and groups of options: each group's name is a presentational
    // first item, as in the WAI-ARIA grouped listbox pattern.
    const list = element("div", { id: `${this.panel.id}-list`, class: "search-groups", role: "listbox", "aria-label": "Results" });
    const groups = new Map();
    results.hits.forEach((hit) => {
      if (!groups.has(hit.kind)) groups.set(hit.kind, []);
      groups.get(hit.kind).push(hit);
    });
    let index = 0;
    for (const [kind, hits] of groups) {
      const label = `${this.panel.id}-${kind}`;
      const ul = element("ul", { role: "group", class: "search-group", "aria-labelledby": label },
        element("li", { role: "presentation", id: label, class: "search-group-label" }, KINDS[kind] ?? kind));
      for (const hit of hits) ul.append(this.option(hit, index++));
      list.append(ul);
    }
    parts.push(list);
    const more = results.total > results.hits.length;
    if (more && !this.page) {
      const href = `${this.root}search/?q=${encodeURIComponent(results.query)}`;
      parts.push(element("p", { class: "search-more" }, element("a", { href }, `All ${results.total} results`)));
    }
    this.show(parts, true);
  }

  chips(results) {
    const bar = element("div", { class: "search-chips", role: "group", "aria-label": "Filter results" });
    for (const facet of ["subject", "dimension"]) {
      const counts = Object.entries(results.facets[facet]).sort((a, b) => b[1] - a[1]).slice(0, 8);
      for (const [id, count] of counts) {
        const on = this.filters[facet] === id;
        const chip = element("button", { type: "button", class: "search-chip", "aria-pressed": String(on) },
          `${facet === "subject" ? "" : "in "}${id} `, element("span", { class: "count" }, String(count)));
        chip.addEventListener("click", () => {
          this.filters[facet] = on ? null : id;
          this.input.focus();
          this.run();
        });
        bar.append(chip);
      }
    }
    return bar;
  }

  /** A result: the link is the option itself, so that no control sits inside another. */
  option(hit, index) {
    const excerpt = element("span", { class: "search-excerpt" });
    excerpt.innerHTML = hit.excerpt_html; // escaped by the engine; only <mark> is markup
    const link = element("a", {
      href: this.root + hit.url, tabindex: "-1", role: "option", id: `${this.panel.id}-${index}`,
      class: `search-hit kind-${hit.kind}`, "aria-selected": "false",
    }, element("span", { class: "search-title" }, hit.title), excerpt);
    return element("li", { role: "presentation" }, link);
  }

  show(children, hasOptions) {
    this.panel.replaceChildren(...children);
    this.panel.hidden = false;
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    this.input.setAttribute("aria-expanded", String(hasOptions));
  }

  close() {
    this.live.textContent = "";
    if (this.page) {
      this.panel.replaceChildren();
    } else {
      this.panel.hidden = true;
    }
    this.input.setAttribute("aria-expanded", "false");
  }

  options() {
    return [...this.panel.querySelectorAll('[role="option"]')];
  }

  move(step) {
    const options = this.options();
    if (!options.length) return;
    options[this.active]?.setAttribute("aria-selected", "false");
    const n = options.length;
    this.active = this.active < 0 ? (step > 0 ? 0 : n - 1) : (this.active + step + n) % n;
    const option = options[this.active];
    option.setAttribute("aria-selected", "true");
    option.scrollIntoView({ block: "nearest" });
    this.input.setAttribute("aria-activedescendant", option.id);
  }

  key(event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (this.panel.hidden) this.run();
      this.move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      const option = this.options()[this.active];
      if (option) {
        event.preventDefault();
        location.href = option.href;
      } else if (this.page) {
        event.preventDefault();
        clearTimeout(this.timer);
        this.run();
      }
    } else if (event.key === "Escape") {
      this.close();
    }
  }
}

function start() {
  const header = document.querySelector("form.site-search");
  if (!header) return;
  const root = header.dataset.root ?? "/";
  const page = document.getElementById("search-page");
  document.documentElement.classList.add("search-ready");
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest?.("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      (page?.querySelector("input") ?? header.querySelector("input")).focus();
    }
  });
  if (page) {
    const input = page.querySelector("input[name=q]");
    const box = new SearchBox(input, page.querySelector(".search-results"), { root, limit: 50, page: true });
    page.querySelector("form").addEventListener("submit", (event) => event.preventDefault());
    const query = new URL(location.href).searchParams.get("q");
    if (query) {
      input.value = query;
      box.run();
    }
    return;
  }
  const panel = element("div", { id: "site-search-results", class: "search-panel", hidden: "" });
  header.append(panel);
  new SearchBox(header.querySelector("input"), panel, { root, limit: 8, page: false });
}

start();

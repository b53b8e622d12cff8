//! Live reload: a server-sent event stream that tells open pages to show a rebuild (a new
//! `<main>` swapped in when nothing else on the page changed, a reload otherwise), and
//! the error overlay every page shows while the last edit does not build. Both are added to
//! pages only when served, never written into the built site.

use crate::diag::Diagnostic;

/// The script pages load to follow rebuilds.
pub const LIVE_JS: &str = r#"// versus dev server: show rebuilds, show build errors.
(() => {
  const root = document.documentElement;
  // Pages whose only scripts are these can take a new <main> in place (copy.js sets itself up
  // again on "versus:updated"); any other page reloads, which is always right.
  const inPlace = ["/static/search/search.js", "/static/copy.js", "/__versus/live.js"];
  const scripts = (doc) => [...doc.querySelectorAll("script[src]")]
    .map((script) => new URL(script.getAttribute("src"), location.href).pathname).sort();
  const swappable = (doc) => !doc.getElementById("search-page")
    && scripts(doc).every((path) => inPlace.some((end) => path.endsWith(end)));
  // What shows outside <main> (the body around it and the style sheets): when only the inside
  // of <main> changed, swapping it in is the whole update.
  const frame = (doc) => {
    const body = doc.body.cloneNode(true);
    body.querySelector("main")?.replaceChildren();
    const sheets = [...doc.querySelectorAll('link[rel~="stylesheet"]')].map((link) => link.getAttribute("href"));
    return sheets.join("\n") + "\n" + body.innerHTML;
  };
  const fetchPage = async () => {
    const response = await fetch(location.href, { cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    return new DOMParser().parseFromString(await response.text(), "text/html");
  };
  // The page as served, to tell what a rebuild changed; fetched once the page is up.
  let served = swappable(document) ? fetchPage().catch(() => null) : Promise.resolve(null);
  let updates = 0;
  const update = async () => {
    try {
      const before = await served;
      const fresh = await fetchPage();
      const main = document.querySelector("main");
      const next = fresh.querySelector("main");
      if (before === null || !main || !next || frame(before) !== frame(fresh)
        || scripts(fresh).join() !== scripts(before).join() || !swappable(fresh)) {
        location.reload();
        return;
      }
      served = Promise.resolve(fresh.cloneNode(true));
      document.title = fresh.title;
      const description = fresh.querySelector('meta[name="description"]')?.getAttribute("content");
      if (description != null) document.querySelector('meta[name="description"]')?.setAttribute("content", description);
      main.replaceWith(document.adoptNode(next));
      document.getElementById("versus-overlay")?.remove();
      document.dispatchEvent(new Event("versus:updated"));
      // Marks the update, for tools that wait for it.
      root.dataset.versusUpdates = String(++updates);
    } catch {
      location.reload();
    }
  };
  const events = new EventSource("/__versus/events");
  // Marks the page as listening, for tools that wait for it.
  events.addEventListener("open", () => { root.dataset.versusLive = "connected"; });
  // One update at a time, in order: a slow fetch never puts an older page over a newer one.
  let updating = Promise.resolve();
  events.addEventListener("reload", () => { updating = updating.then(update); });
  events.addEventListener("error-report", (event) => {
    document.getElementById("versus-overlay")?.remove();
    const overlay = document.createElement("div");
    overlay.id = "versus-overlay";
    overlay.setAttribute("role", "alert");
    const title = document.createElement("strong");
    title.textContent = "The last edit does not build; this is the last good site.";
    const pre = document.createElement("pre");
    pre.textContent = JSON.parse(event.data).text;
    overlay.append(title, pre);
    document.body.append(overlay);
  });
})();
"#;

/// The overlay's style, served as a file so pages need no inline style.
pub const LIVE_CSS: &str = "#versus-overlay{position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:2147483647;\
background:#2b0b0b;color:#ffe9e9;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:1rem 1.25rem;\
border-top:4px solid #e5484d;box-shadow:0 -8px 24px rgba(0,0,0,.35)}#versus-overlay pre{white-space:pre-wrap;margin:.5rem 0 0}";

/// The state of the last build, as pages see it.
#[derive(Debug, Clone, Default)]
pub enum BuildStatus {
    #[default]
    Ok,
    /// The last edit failed; the text lists every problem as `file:line:column: message`.
    Failed { text: String },
}

impl BuildStatus {
    /// The failure of a build, from its diagnostics.
    pub fn failed(diagnostics: &[Diagnostic]) -> Self {
        let renderer = annotate_snippets::Renderer::plain();
        let text = diagnostics
            .iter()
            .map(|d| d.render(&renderer))
            .collect::<Vec<_>>()
            .join("\n\n");
        BuildStatus::Failed { text }
    }
}

/// Adds the live-reload script (and the error overlay while the build is broken) before
/// `</body>`.
pub fn inject(html: &[u8], status: &BuildStatus) -> Vec<u8> {
    let text = String::from_utf8_lossy(html);
    let mut addition = String::from(
        "<link rel=\"stylesheet\" href=\"/__versus/live.css\"><script src=\"/__versus/live.js\" defer></script>",
    );
    if let BuildStatus::Failed { text: errors } = status {
        addition.push_str("<div id=\"versus-overlay\" role=\"alert\"><strong>The last edit does not build; this is the last good site.</strong><pre>");
        addition.push_str(&escape_html(errors));
        addition.push_str("</pre></div>");
    }
    let at = text.rfind("</body>").unwrap_or(text.len());
    let mut out = String::with_capacity(text.len() + addition.len());
    out.push_str(&text[..at]);
    out.push_str(&addition);
    out.push_str(&text[at..]);
    out.into_bytes()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injects_script_and_escaped_overlay_before_body_end() {
        let page = b"<html><body><p>x</p></body></html>";
        let ok = String::from_utf8(inject(page, &BuildStatus::Ok)).expect("utf-8");
        assert!(
            ok.ends_with("<script src=\"/__versus/live.js\" defer></script></body></html>"),
            "{ok}"
        );
        assert!(!ok.contains("versus-overlay"));
        let failed = BuildStatus::Failed {
            text: "pricing.toml:3:1: <script>bad</script>".into(),
        };
        let broken = String::from_utf8(inject(page, &failed)).expect("utf-8");
        assert!(
            broken
                .contains("pricing.toml:3:1: &lt;script&gt;bad&lt;/script&gt;</pre></div></body>"),
            "{broken}"
        );
    }
}

//! `versus serve`: serving from memory with the right headers, refusing traversal and foreign
//! hosts, rebuilding on edits, and keeping the last good site online behind an overlay.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::browser::run_script;
use crate::common::{shipped_site, site};

/// A running `versus serve`, stopped with Ctrl-C when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub port: u16,
}

impl Server {
    pub fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_versus"))
            .args(["serve", "--port", "0"])
            .current_dir(dir)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start versus serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("serve printed its address")
                .expect("a line");
            if let Some(rest) = line.strip_prefix("Serving ") {
                break rest
                    .split_whitespace()
                    .next()
                    .expect("an address")
                    .trim_end_matches('/')
                    .to_string();
            }
        };
        // Keep reading stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let port = base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port");
        Server { child, base, port }
    }

    /// Sends a raw request (exactly these bytes of path and headers) and returns the status
    /// code and body.
    pub fn raw(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Vec<u8>, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut request = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            request.push_str(&format!("Host: 127.0.0.1:{}\r\n", self.port));
        }
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read");
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("headers end")
            + 4;
        let head = String::from_utf8_lossy(&response[..split]).into_owned();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        (status, response[split..].to_vec(), head)
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let (status, body, _) = self.raw(path, &[]);
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Polls a page until `done` holds, for up to 10 seconds.
    pub fn wait_for(&self, path: &str, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let (_, body) = self.get(path);
            if done(&body) {
                return body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{path} never changed:\n{body}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: sending SIGINT to our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let _ = self.child.wait();
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[test]
fn serves_pages_with_types_validators_compression_and_ranges() {
    let dir = site("");
    let server = Server::start(dir.path());
    let (status, body, head) = server.raw("/dimensions/pricing/", &[]);
    assert_eq!(status, 200);
    assert_eq!(
        header(&head, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        String::from_utf8_lossy(&body).contains("/__versus/live.js"),
        "the reload script is injected"
    );
    let etag = header(&head, "etag").expect("an ETag").to_string();
    let (status, _, _) = server.raw("/dimensions/pricing/", &[("If-None-Match", &etag)]);
    assert_eq!(status, 304);
    let (status, body, head) = server.raw("/static/style.css", &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(
        (status, header(&head, "content-encoding")),
        (200, Some("gzip"))
    );
    assert!(body.starts_with(&[0x1f, 0x8b]), "gzip bytes");
    let (status, body, head) = server.raw("/static/style.css", &[("Range", "bytes=0-9")]);
    assert_eq!((status, body.len()), (206, 10));
    assert!(header(&head, "content-range").is_some_and(|r| r.starts_with("bytes 0-9/")));
    let (status, _, head) = server.raw("/dimensions/pricing", &[]);
    assert_eq!(
        (status, header(&head, "location")),
        (308, Some("/dimensions/pricing/"))
    );
    let (status, body) = server.get("/no/such/page/");
    assert_eq!(status, 404);
    assert!(body.contains("Page not found"), "the 404 page");
    assert_eq!(server.get("/dimensions/").0, 404, "no directory listings");
    let built = std::fs::read_dir(dir.path()).expect("ls").count();
    assert_eq!(
        built, 2,
        "serving writes nothing to the site folder (site.toml and knowledge/)"
    );
}

#[test]
fn head_requests_have_no_body() {
    let dir = site("");
    let server = Server::start(dir.path());
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    write!(
        stream,
        "HEAD / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        server.port
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.ends_with("\r\n\r\n"),
        "no body after the headers: {response}"
    );
}

#[test]
fn never_serves_a_file_outside_the_output() {
    let dir = site("");
    let outside = dir.path().join("secret.txt");
    std::fs::write(&outside, "TOP SECRET").expect("write");
    let server = Server::start(dir.path());
    // A symlink in the output folder on disk is irrelevant: the site is served from memory.
    std::fs::create_dir_all(dir.path().join("public")).expect("mkdir");
    std::os::unix::fs::symlink(&outside, dir.path().join("public/leak.txt")).expect("symlink");
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/..%2fsecret.txt",
        "/static/..%2f..%2fsecret.txt",
        "/static/%2e%2e/%2e%2e/secret.txt",
        "/static\\..\\..\\secret.txt",
        "/static/%5c..%5c..%5csecret.txt",
        "//etc/passwd",
        "/etc/passwd",
        &format!("{}", outside.display()),
        "/leak.txt",
        "/site.toml",
        "/knowledge/subjects.toml",
        "/static/%00",
    ] {
        let (status, body, _) = server.raw(path, &[]);
        let body = String::from_utf8_lossy(&body);
        assert!(status == 400 || status == 404, "{path}: {status}");
        assert!(
            !body.contains("TOP SECRET") && !body.contains("root:x:0"),
            "{path} leaked a file"
        );
    }
}

#[test]
fn refuses_foreign_hosts_and_origins() {
    let dir = site("");
    let server = Server::start(dir.path());
    assert_eq!(
        server.raw("/", &[("Host", "attacker.example.com")]).0,
        403,
        "DNS rebinding"
    );
    assert_eq!(
        server
            .raw("/", &[("Host", &format!("localhost:{}", server.port))])
            .0,
        200
    );
    let (status, _, _) = server.raw(
        "/__versus/events",
        &[("Origin", "http://attacker.example.com")],
    );
    assert_eq!(status, 403, "live reload from a foreign page");
}

#[test]
fn rebuilds_on_edit_and_keeps_the_last_good_site_while_broken() {
    let dir = site("");
    let server = Server::start(dir.path());
    let file = dir.path().join("knowledge/dimensions/pricing.toml");
    let original = std::fs::read_to_string(&file).expect("read");
    let (_, before) = server.get("/facts/pricing/pay-per-use/");
    assert!(before.contains("You pay per request"));
    std::fs::write(
        &file,
        original.replace("You pay per request", "You pay per invocation"),
    )
    .expect("edit");
    server.wait_for("/facts/pricing/pay-per-use/", |page| {
        page.contains("You pay per invocation")
    });
    // The search index follows the pages.
    server.wait_for("/api/search?q=invocation", |body| {
        body.contains("\"pricing/pay-per-use\"")
    });
    std::fs::write(
        &file,
        original.replace("title = \"Pricing\"", "title = \"Pricing\"\nstatment = 1"),
    )
    .expect("break");
    let broken = server.wait_for("/facts/pricing/pay-per-use/", |page| {
        page.contains("versus-overlay")
    });
    assert!(
        broken.contains("You pay per invocation"),
        "the last good site is still served"
    );
    assert!(
        broken.contains("knowledge/dimensions/pricing.toml:2:1: unknown key `statment`"),
        "{broken}"
    );
    assert!(
        server.get("/").1.contains("versus-overlay"),
        "every page shows the overlay"
    );
    std::fs::write(&file, &original).expect("fix");
    let fixed = server.wait_for("/facts/pricing/pay-per-use/", |page| {
        !page.contains("versus-overlay")
    });
    assert!(fixed.contains("You pay per request"));
}

#[test]
fn open_pages_reload_by_themselves() {
    let dir = shipped_site();
    let server = Server::start(dir.path());
    let base = format!("{}/", server.base);
    let file = dir.path().join("knowledge/dimensions/run-duration.toml");
    run_script(
        "reload.mjs",
        dir.path(),
        &[&base, &file.display().to_string()],
    );
}

#[test]
fn answers_search_over_http_like_the_cli() {
    let dir = shipped_site();
    let server = Server::start(dir.path());
    let (status, body, head) = server.raw("/api/search?q=15%20minutes&limit=5", &[]);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    let http: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    crate::common::build_ok(dir.path());
    let cli = crate::common::versus(
        dir.path(),
        &["search", "15 minutes", "--json", "--limit", "5"],
    );
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).expect("CLI JSON");
    let ids = |v: &serde_json::Value| {
        v["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|h| h["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&http), ids(&cli), "same ranking");
    assert_eq!(http["total"], cli["total"]);
    assert_eq!(http["facets"], cli["facets"]);
    let (status, body, _) = server.raw("/api/search?q=pricing&subject=serverless&limit=3", &[]);
    assert_eq!(status, 200);
    let filtered: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert!(filtered["hits"].as_array().expect("hits").len() <= 3);
}

#[test]
fn refuses_bad_search_requests_with_a_json_error() {
    let dir = site("");
    let server = Server::start(dir.path());
    let deep = format!("/api/search?q={}", "(".repeat(10_000));
    let long = format!("/api/search?q={}", "word%20".repeat(3_000));
    for path in [
        "/api/search",
        "/api/search?q=%22unbalanced",
        "/api/search?q=x&limit=abc",
        "/api/search?q=title:",
        &deep,
        &long,
    ] {
        let (status, body, head) = server.raw(path, &[]);
        assert_eq!(
            status,
            400,
            "{}: {}",
            &path[..path.len().min(60)],
            String::from_utf8_lossy(&body)
        );
        assert_eq!(header(&head, "content-type"), Some("application/json"));
        let error: serde_json::Value = serde_json::from_slice(&body).expect("JSON error");
        assert!(error["error"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(
        server.raw("/api/search?q=runs", &[]).0,
        200,
        "still answering after bad requests"
    );
}

//! The HTTP side of `versus serve`: files from the in-memory site with content types, ETags,
//! gzip, HEAD and byte ranges; the live-reload stream; and the checks that keep other web
//! pages out (the `Host` and `Origin` headers).

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast;

use super::live::{self, BuildStatus};
use super::site::{File, Resolved, Site};
use crate::search::{Request as SearchRequest, SearchIndex};

/// What open pages are told after a rebuild.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    Reload,
    Failed(String),
}

/// The server's shared state: the current site, the last build's status, and the stream of
/// rebuild events.
pub struct AppState {
    pub site: RwLock<Arc<Site>>,
    /// The site's search index, opened over the files in memory; `None` without search.
    pub search: RwLock<Option<SearchIndex>>,
    pub status: RwLock<(u64, BuildStatus)>,
    pub events: broadcast::Sender<LiveEvent>,
    pub hosts: AllowedHosts,
}

impl AppState {
    pub fn new(site: Site, hosts: AllowedHosts) -> Self {
        Self {
            site: RwLock::new(Arc::new(site)),
            search: RwLock::new(None),
            status: RwLock::new((0, BuildStatus::Ok)),
            events: broadcast::channel(16).0,
            hosts,
        }
    }

    fn site(&self) -> Arc<Site> {
        Arc::clone(
            &self
                .site
                .read()
                .expect("no panic while holding the site lock"),
        )
    }

    fn status(&self) -> (u64, BuildStatus) {
        self.status
            .read()
            .expect("no panic while holding the status lock")
            .clone()
    }
}

/// Host names the server answers to: anything else may be a DNS-rebinding attack.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    /// Names besides IP literals (`localhost`, the machine's name).
    names: Vec<String>,
    /// Any IP literal is allowed when bound to all interfaces; otherwise only loopback and
    /// the bound address.
    bound: IpAddr,
}

impl AllowedHosts {
    pub fn new(bound: IpAddr, extra_names: Vec<String>) -> Self {
        let mut names = vec!["localhost".to_string()];
        names.extend(extra_names.into_iter().map(|n| n.to_ascii_lowercase()));
        Self { names, bound }
    }

    /// True when a `Host` header value names this server.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let name = match host.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or_default().to_string(),
            None => host
                .rsplit_once(':')
                .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
                .map_or(host.clone(), |(n, _)| n.to_string()),
        };
        if let Ok(ip) = name.parse::<IpAddr>() {
            return ip == self.bound || ip.is_loopback() || self.bound.is_unspecified();
        }
        self.names
            .iter()
            .any(|allowed| *allowed == name || name.ends_with(".localhost"))
    }
}

/// The router: live-reload endpoints, then every other path from the site.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/__versus/live.js",
            get(|| async { asset(live::LIVE_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/__versus/live.css",
            get(|| async { asset(live::LIVE_CSS, "text/css; charset=utf-8") }),
        )
        .route("/__versus/events", get(events))
        .route("/api/search", get(api_search))
        .fallback(serve_file)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            check_host,
        ))
        .with_state(state)
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// Refuses requests for any host but this server's (DNS rebinding).
async fn check_host(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !state.hosts.allows(host) {
        return (
            StatusCode::FORBIDDEN,
            "this server answers only to its own address\n",
        )
            .into_response();
    }
    next.run(request).await
}

/// `GET /api/search?q=&limit=&subject=&dimension=`: the CLI's search, as JSON. Bad queries
/// are a 400 with `{"error": ...}`; the query module bounds length, nesting and limit.
async fn api_search(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let params: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let error = |status: StatusCode, message: &str| {
        let body = serde_json::json!({ "error": message }).to_string();
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    let Some(query) = param("q") else {
        return error(StatusCode::BAD_REQUEST, "missing the query: add ?q=...");
    };
    let mut search = SearchRequest::new(query);
    if let Some(limit) = param("limit") {
        match limit.parse::<usize>() {
            Ok(limit) => search.limit = limit,
            Err(_) => return error(StatusCode::BAD_REQUEST, "`limit` must be a whole number"),
        }
    }
    search.subject = param("subject").filter(|s| !s.is_empty());
    search.dimension = param("dimension").filter(|d| !d.is_empty());
    let index = state
        .search
        .read()
        .expect("no panic while holding the search lock")
        .clone();
    let Some(index) = index else {
        return error(
            StatusCode::NOT_FOUND,
            "this site has no search index ([search] enabled = false)",
        );
    };
    // Queries are CPU work; keep them off the threads that accept connections.
    let answer = tokio::task::spawn_blocking(move || crate::search::query(&index, &search)).await;
    match answer {
        Ok(Ok(results)) => {
            let body = serde_json::to_vec(&results).expect("results serialize");
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                body,
            )
                .into_response()
        }
        Ok(Err(err)) => error(StatusCode::BAD_REQUEST, &err.to_string()),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "the search failed"),
    }
}

/// The live-reload stream; refused to pages of other origins.
async fn events(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let same = origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host));
        if !same {
            return (
                StatusCode::FORBIDDEN,
                "live reload is only for this server's pages\n",
            )
                .into_response();
        }
    }
    let first = match state.status().1 {
        BuildStatus::Failed { text } => Some(LiveEvent::Failed(text)),
        BuildStatus::Ok => None,
    };
    let receiver = state.events.subscribe();
    Sse::new(event_stream(first, receiver))
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn event_stream(
    first: Option<LiveEvent>,
    receiver: broadcast::Receiver<LiveEvent>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let initial = stream::iter(first.map(|e| Ok(to_sse(e))));
    let updates = stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(event) => event,
            // Missed events: a reload shows the newest site.
            Err(broadcast::error::RecvError::Lagged(_)) => LiveEvent::Reload,
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(to_sse(event)), receiver))
    });
    futures_util::StreamExt::chain(initial, updates)
}

fn to_sse(event: LiveEvent) -> Event {
    match event {
        LiveEvent::Reload => Event::default().event("reload").data("reload"),
        LiveEvent::Failed(text) => Event::default()
            .event("error-report")
            .data(serde_json::json!({ "text": text }).to_string()),
    }
}

/// Serves a site file: GET and HEAD only, with validators, compression and ranges.
async fn serve_file(
    State(state): State<Arc<AppState>>,
    method: Method,
    request: Request,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "",
        )
            .into_response();
    }
    let site = state.site();
    let path = request.uri().path().to_string();
    match site.resolve(&path) {
        Resolved::File(found) => {
            let file = site.get(&found).expect("resolved paths exist");
            respond(&state, &file, StatusCode::OK, request.headers())
        }
        Resolved::Redirect(to) => {
            let query = request
                .uri()
                .query()
                .map_or(String::new(), |q| format!("?{q}"));
            let location = HeaderValue::from_str(&format!("{to}{query}"))
                .unwrap_or(HeaderValue::from_static("/"));
            (
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, location)],
                "",
            )
                .into_response()
        }
        Resolved::NotFound => match site.get("404.html") {
            Some(page) => respond(&state, &page, StatusCode::NOT_FOUND, request.headers()),
            None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
        },
        Resolved::Forbidden => (StatusCode::BAD_REQUEST, "bad path\n").into_response(),
    }
}

fn respond(state: &AppState, file: &File, status: StatusCode, request: &HeaderMap) -> Response {
    let is_html = file.content_type.starts_with("text/html");
    let (generation, build) = state.status();
    let etag = if is_html {
        format!("{}-{generation}\"", file.etag.trim_end_matches('"'))
    } else {
        file.etag.clone()
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if matches && status == StatusCode::OK {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let accepts_gzip = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    if is_html {
        let body = live::inject(&file.bytes, &build);
        return with_body(status, headers, body, accepts_gzip);
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(range) = request.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        return ranged(headers, &file.bytes, range);
    }
    match file.gzip().filter(|_| accepts_gzip) {
        Some(gz) => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (status, headers, gz.to_vec()).into_response()
        }
        None => (status, headers, file.bytes.clone()).into_response(),
    }
}

fn with_body(status: StatusCode, mut headers: HeaderMap, body: Vec<u8>, gzip: bool) -> Response {
    use std::io::Write as _;
    if gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        if encoder.write_all(&body).is_ok()
            && let Ok(compressed) = encoder.finish()
        {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            return (status, headers, compressed).into_response();
        }
    }
    (status, headers, body).into_response()
}

/// A single `bytes=` range: 206 with the slice, or 416 when it does not fit.
fn ranged(mut headers: HeaderMap, bytes: &[u8], range: &str) -> Response {
    let len = bytes.len();
    match parse_range(range, len) {
        Some((start, end)) => {
            let value = format!("bytes {start}-{end}/{len}");
            headers.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&value).expect("ASCII digits"),
            );
            (
                StatusCode::PARTIAL_CONTENT,
                headers,
                Body::from(bytes[start..=end].to_vec()),
            )
                .into_response()
        }
        None => {
            let value = format!("bytes */{len}");
            headers.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&value).expect("ASCII digits"),
            );
            (StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response()
        }
    }
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` into an inclusive range within `len`.
fn parse_range(range: &str, len: usize) -> Option<(usize, usize)> {
    let spec = range.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: usize = suffix.parse().ok()?;
            (len.checked_sub(n.min(len))?, len - 1)
        }
        (start, "") => (start.parse().ok()?, len - 1),
        (start, end) => (start.parse().ok()?, end.parse::<usize>().ok()?.min(len - 1)),
    };
    (start <= end && start < len).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_byte_ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn allows_only_this_servers_names() {
        let local = AllowedHosts::new("127.0.0.1".parse().expect("ip"), vec![]);
        for host in [
            "127.0.0.1:3000",
            "localhost:3000",
            "localhost",
            "[::1]:3000",
            "app.localhost:3000",
        ] {
            assert!(local.allows(host), "{host}");
        }
        for host in [
            "evil.example.com",
            "evil.example.com:3000",
            "192.168.1.5:3000",
            "",
        ] {
            assert!(!local.allows(host), "{host}");
        }
        let all = AllowedHosts::new("0.0.0.0".parse().expect("ip"), vec!["buildbox".into()]);
        assert!(all.allows("192.168.1.5:3000") && all.allows("buildbox:3000"));
        assert!(!all.allows("attacker.example:3000"));
    }
}

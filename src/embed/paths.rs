//! Where each output lives, relative to the site root: the one place that knows the URL layout
//! of pages, embeds, oEmbed responses and API files, so that links between them agree.

/// The file of the whole knowledge base in the JSON API.
pub const KNOWLEDGE_API: &str = "api/knowledge.json";
/// The list of every API endpoint.
pub const INDEX_API: &str = "api/index.json";
/// Every fact as one CSV table.
pub const FACTS_CSV: &str = "api/facts.csv";
/// The decision tree's API file, written by the decision-tree stage when it runs.
pub const DECISION_TREE_API: &str = "api/decision-tree.json";

/// A fact's permalink page.
pub fn fact_page(dimension: &str, fact: &str) -> String {
    format!("facts/{dimension}/{fact}/")
}

/// A fact's iframe-ready fragment: a file, not a folder, since there is one per fact and each
/// folder costs the build a directory on disk.
pub fn fact_embed(dimension: &str, fact: &str) -> String {
    format!("embed/facts/{dimension}/{fact}.html")
}

/// A fact's oEmbed response.
pub fn fact_oembed(dimension: &str, fact: &str) -> String {
    format!("oembed/facts/{dimension}/{fact}.json")
}

/// A fact's JSON twin.
pub fn fact_api(dimension: &str, fact: &str) -> String {
    format!("api/facts/{dimension}/{fact}.json")
}

/// A dimension's comparison page.
pub fn dimension_page(dimension: &str) -> String {
    format!("dimensions/{dimension}/")
}

/// A dimension's comparison table as an iframe-ready fragment.
pub fn dimension_embed(dimension: &str) -> String {
    format!("embed/dimensions/{dimension}.html")
}

/// A dimension's oEmbed response.
pub fn dimension_oembed(dimension: &str) -> String {
    format!("oembed/dimensions/{dimension}.json")
}

/// A dimension's JSON twin.
pub fn dimension_api(dimension: &str) -> String {
    format!("api/dimensions/{dimension}.json")
}

/// A subject's page.
pub fn subject_page(subject: &str) -> String {
    format!("subjects/{subject}/")
}

/// A subject's JSON twin.
pub fn subject_api(subject: &str) -> String {
    format!("api/subjects/{subject}.json")
}

/// The file a page URL is written to: `facts/a/b/` to `facts/a/b/index.html`; a URL naming a
/// file (`embed/facts/a/b.html`) is that file.
pub fn index_file(url_path: &str) -> String {
    if url_path.ends_with('/') {
        format!("{url_path}index.html")
    } else {
        url_path.to_string()
    }
}

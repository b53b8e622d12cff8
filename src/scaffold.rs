//! `versus new`: a small, valid knowledge base to start from, one that builds without a
//! warning and shows every part of the format.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::knowledge::Date;

const SITE: &str = r#"title = "SQLite vs PostgreSQL"
description = "Which database to embed, which to run as a server."
base_url = "/"
language = "en"
theme = "default"

[search]
enabled = true

[decision]
title = "Which should I choose?"
"#;

const SUBJECTS: &str = r#"[[subjects]]
id = "sqlite"
name = "SQLite"
aka = ["SQLite3"]
summary = "A self-contained SQL database engine in a library, storing a database in **one file**."
url = "https://sqlite.org/"

[[subjects]]
id = "postgresql"
name = "PostgreSQL"
aka = ["Postgres"]
summary = "An open-source object-relational database **server**."
url = "https://www.postgresql.org/"
"#;

const DEPLOYMENT: &str = r#"title = "Deployment"
summary = "How the database runs next to your application."
order = 10
tags = ["ops"]

[[facts]]
id = "serverless"
subject = "sqlite"
statement = "Runs inside the application process: there is **no server** to install or operate."
key = "needs_server"
value = false
sources = ["https://sqlite.org/serverless.html"]
verified = VERIFIED

[[facts]]
id = "server"
subject = "postgresql"
statement = "Runs as a separate **server process** that clients connect to over a socket."
key = "needs_server"
value = true
sources = ["https://www.postgresql.org/docs/current/tutorial-arch.html"]
verified = VERIFIED

[[facts]]
id = "sql"
subjects = ["sqlite", "postgresql"]
statement = "Both speak SQL and support transactions with ACID guarantees."
sources = ["https://sqlite.org/transactional.html", "https://www.postgresql.org/docs/current/tutorial-transactions.html"]
verified = VERIFIED

[[questions]]
id = "embedded"
text = "Will the database ship inside a desktop or mobile application?"
help = "Apps that keep their data **on the device**."
[[questions.answers]]
label = "Yes"
rules_out = ["postgresql"]
because = ["server"]
[[questions.answers]]
label = "No"
favors = { postgresql = 1 }
because = ["server"]
"#;

const CONCURRENCY: &str = r#"title = "Concurrency"
summary = "How many clients can write at the same time."
order = 20
tags = ["performance"]

[[facts]]
id = "one-writer"
subject = "sqlite"
statement = "Allows **one writer** at a time; readers proceed concurrently in WAL mode."
key = "concurrent_writers"
value = "one"
sources = ["https://sqlite.org/wal.html"]
verified = VERIFIED

[[facts]]
id = "many-writers"
subject = "postgresql"
statement = "Many sessions write concurrently, isolated by **MVCC**."
key = "concurrent_writers"
value = "many"
sources = ["https://www.postgresql.org/docs/current/mvcc-intro.html"]
verified = VERIFIED

[[questions]]
id = "many-writers"
text = "Will many clients write at the same time?"
[[questions.answers]]
label = "Yes"
favors = { postgresql = 2 }
because = ["many-writers", "one-writer"]
[[questions.answers]]
label = "No"
favors = { sqlite = 1 }
because = ["one-writer"]
"#;

/// Writes a new site into `dir`, which must be empty or not exist.
pub fn scaffold(dir: &Path) -> Result<()> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!("{} is not empty; choose a new folder", dir.display());
        }
    }
    let verified = Date::today().to_string();
    let files = [
        ("site.toml", SITE.to_string()),
        ("knowledge/subjects.toml", SUBJECTS.to_string()),
        (
            "knowledge/dimensions/deployment.toml",
            DEPLOYMENT.replace("VERIFIED", &verified),
        ),
        (
            "knowledge/dimensions/concurrency.toml",
            CONCURRENCY.replace("VERIFIED", &verified),
        ),
        // The output, and the cache and staging folders the build keeps beside it.
        (".gitignore", "/public\n/.public.*\n".to_string()),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

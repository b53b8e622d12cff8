#!/usr/bin/env python3
"""Deterministic synthetic knowledge bases for benchmarks, in versus's format and as a Hugo
site with the same page set (one page per fact, per dimension, per subject, and an overview
matrix), so both tools build the same thing.

Shape: 4 subjects, 3 facts per subject per dimension, about 49 words of Markdown per fact
(emphasis, inline code, a link, sometimes a bullet list). The corpus for a smaller F is a
prefix of the corpus for a larger F.

    python3 corpus.py --facts 10000 --out DIR     # writes DIR/versus and DIR/hugo
"""
import argparse
import json
import math
import os
import random
import re

SUBJECTS = ["Serverless", "Containers", "Virtual Machines", "Bare Metal"]
DIMENSION_WORDS = """Pricing Scaling Latency Observability Lock-in Security Networking State Deployment
Debugging Limits Memory Concurrency Billing Egress Compliance Recovery Backups Patching Isolation
Startup Batch Events Queues Databases Secrets Configuration Logging Tracing Metrics Alerting
Capacity GPUs Storage Runtimes Languages Packaging Images Pipelines Rollback Canaries Discovery
Balancing Identity Auditing Cost Support Documentation Community Tooling Portability Hardware
Throughput WebSockets Scheduling Workflows Testing Skills Upgrades Licensing""".split()
QUALIFIERS = """Regional Burst Long-term Multi-tenant Edge Peak Baseline Enterprise Startup Regulated
Offline Realtime Global Internal Public Hybrid Legacy Greenfield Seasonal Nightly Streaming
Mobile Analytics Gaming Media Research""".split()
NOUNS = """platform workload request function container instance cluster node region budget tier
quota limit latency throughput memory core disk volume image registry pipeline release team
tenant service gateway proxy certificate secret role policy log trace metric dashboard alert
replica shard queue topic stream event trigger job worker runtime kernel network database cache
index backup bucket package module build artifact vendor contract reservation""".split()
VERBS = """reduces increases limits exposes simplifies requires allows prevents isolates shares
bills meters throttles retries scales replicates caches drains schedules provisions rotates
encrypts verifies traces samples exports migrates upgrades patches routes bundles ships""".split()
ADJECTIVES = """predictable variable generous strict modest granular elastic managed shared dedicated
ephemeral durable regional native portable proprietary stable cheap fast slow idle warm cold lean
minimal secure robust flexible simple complex consistent bounded""".split()
UNITS = ["ms", "seconds", "GB", "MB", "vCPU", "requests per second", "percent", "regions"]


def slugify(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def dimension_names(count):
    names = list(DIMENSION_WORDS) + [f"{q} {w}" for q in QUALIFIERS for w in DIMENSION_WORDS]
    return [names[i] if i < len(names) else f"{names[i % len(names)]} {i // len(names) + 1}" for i in range(count)]


def sentence(rng, subject):
    words = [rng.choice([subject, "It", "This option", "The provider", "Most teams"])]
    words += [rng.choice(VERBS), "the", rng.choice(ADJECTIVES), rng.choice(NOUNS)]
    if rng.random() < 0.6:
        words += [rng.choice(["while", "because", "so", "but"]), "each", rng.choice(NOUNS), rng.choice(VERBS)]
        words += [str(rng.randint(2, 900)), rng.choice(UNITS)] if rng.random() < 0.4 else ["the", rng.choice(NOUNS)]
    return words


def statement(seed, d, s, k, subject):
    rng = random.Random(f"{seed}:{d}:{s}:{k}")
    words = []
    while len(words) < rng.randint(34, 50):
        sent = sentence(rng, subject)
        sent[-1] += "."
        words += sent
    i = rng.randrange(2, len(words) - 3)
    words[i] = f"*{words[i].strip('.')}*"
    j = rng.randrange(2, len(words) - 3)
    if "*" not in words[j] + words[j + 1]:
        words[j] = f"[{words[j]}"
        words[j + 1] = f"{words[j + 1].rstrip('.')}](https://docs.example.com/{slugify(subject)}/{d}#{k})"
    if rng.random() < 0.2:
        words.append("(see `max_instances`).")
    text = " ".join(words)
    if rng.random() < 0.25:
        head, _, tail = text.partition(". ")
        items = [item.strip() for item in tail.split(". ") if item.strip()][:4]
        text = head + ":\n\n" + "\n".join(f"- {item}" for item in items)
    return text + "\n"


def model(facts, seed=1):
    per_dimension = len(SUBJECTS) * 3
    dimensions = []
    n = 0
    for d, title in enumerate(dimension_names(math.ceil(facts / per_dimension))):
        entries = []
        for s, subject in enumerate(SUBJECTS):
            for k in range(1, 4):
                if n < facts:
                    n += 1
                    entries.append((subject, k, n, statement(seed, d, s, k, subject)))
        dimensions.append((slugify(title), title, entries))
    return dimensions


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_versus(root, dimensions):
    write(f"{root}/site.toml", 'title = "Compute Options Compared"\nbase_url = "https://example.org/"\n')
    write(f"{root}/knowledge/subjects.toml", "\n".join(
        f'[[subjects]]\nid = "{slugify(s)}"\nname = "{s}"\nsummary = "The {s.lower()} option."\n' for s in SUBJECTS))
    for order, (slug, title, entries) in enumerate(dimensions, 1):
        parts = [f'title = {json.dumps(title)}\nsummary = "How the options compare on {title.lower()}."\norder = {order}\n']
        for subject, k, _, text in entries:
            parts.append(f'[[facts]]\nid = "{slugify(subject)}-{k}"\nsubject = "{slugify(subject)}"\n'
                         f"statement = '''\n{text}'''\nsources = [\"https://example.org/sources/{slug}/{k}\"]\n")
        write(f"{root}/knowledge/dimensions/{slug}.toml", "\n".join(parts))


HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Compute Options Compared"
disableKinds = ["taxonomy", "section", "RSS", "sitemap", "robotsTXT", "404"]
[taxonomies]
dimension = "dimensions"
subject = "subjects"
"""
HUGO_BASEOF = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ site.Title }}</title>
<link rel="stylesheet" href="{{ "style.css" | relURL }}"></head><body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
{{ range site.Data.subjects.subjects }}<a href="{{ printf "/subjects/%s/" .id | relURL }}">{{ .name }}</a>{{ end }}</header>
<main>{{ block "main" . }}{{ end }}</main></body></html>"""
HUGO_SINGLE = """{{ define "main" }}<article><p>{{ with site.GetPage (printf "/dimensions/%s" .Params.dimension) }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }} ·
{{ with site.GetPage (printf "/subjects/%s" .Params.subject) }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>
<h1>{{ .Title }}</h1>{{ .Content }}</article>{{ end }}"""
HUGO_DIMENSION = """{{ define "main" }}<h1>{{ .Title }}</h1>{{ $pages := .Pages }}
{{ range site.Data.subjects.subjects }}<section><h2>{{ .name }}</h2>{{ range (where $pages "Params.subject" .id).ByWeight }}
<div><a href="{{ .RelPermalink }}">#</a>{{ .Content }}</div>{{ end }}</section>{{ end }}{{ end }}"""
HUGO_SUBJECT = """{{ define "main" }}<h1>{{ .Title }}</h1>{{ range .Pages.GroupByParam "dim_weight" }}{{ $first := index .Pages 0 }}
<section>{{ with site.GetPage (printf "/dimensions/%s" $first.Params.dimension) }}<h2>{{ .LinkTitle }}</h2>{{ end }}
{{ range .Pages.ByWeight }}<div><a href="{{ .RelPermalink }}">#</a>{{ .Content }}</div>{{ end }}</section>{{ end }}{{ end }}"""
HUGO_HOME = """{{ define "main" }}<h1>{{ site.Title }}</h1>{{ $subs := site.Data.subjects.subjects }}<table><tr><th></th>
{{ range $subs }}<th>{{ .name }}</th>{{ end }}</tr>{{ range (where (where site.Pages "Kind" "term") "Section" "dimensions").ByWeight }}{{ $d := . }}
<tr><th><a href="{{ .RelPermalink }}">{{ .Title }}</a></th>{{ range $subs }}<td>{{ range (where $d.Pages "Params.subject" .id).ByWeight }}
<a href="{{ .RelPermalink }}">{{ .Params.n }}</a> {{ end }}</td>{{ end }}</tr>{{ end }}</table>{{ end }}"""


def write_hugo(root, dimensions):
    write(f"{root}/hugo.toml", HUGO_CONFIG)
    write(f"{root}/static/style.css", "body{font-family:system-ui;margin:2rem}\n")
    for name, text in [("_default/baseof", HUGO_BASEOF), ("_default/single", HUGO_SINGLE),
                       ("dimensions/term", HUGO_DIMENSION), ("subjects/term", HUGO_SUBJECT), ("index", HUGO_HOME)]:
        write(f"{root}/layouts/{name}.html", text)
    write(f"{root}/data/subjects.toml", "\n".join(f'[[subjects]]\nid = "{slugify(s)}"\nname = "{s}"\n' for s in SUBJECTS))
    write(f"{root}/content/_index.md", '+++\ntitle = "Compute Options Compared"\n+++\n')
    for weight, subject in enumerate(SUBJECTS, 1):
        write(f"{root}/content/subjects/{slugify(subject)}/_index.md", f'+++\ntitle = "{subject}"\nweight = {weight}\n+++\n')
    for order, (slug, title, entries) in enumerate(dimensions, 1):
        write(f"{root}/content/dimensions/{slug}/_index.md", f"+++\ntitle = {json.dumps(title)}\nweight = {order}\n+++\n")
        for subject, k, n, text in entries:
            sid = slugify(subject)
            write(f"{root}/content/facts/{slug}--{sid}--{k}.md",
                  f"+++\ntitle = {json.dumps(f'{subject} · {title} #{k}')}\nweight = {n}\nn = {k}\n"
                  f'subject = "{sid}"\ndimension = "{slug}"\ndim_weight = {order}\n'
                  f'dimensions = ["{slug}"]\nsubjects = ["{sid}"]\n+++\n{text}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    dimensions = model(args.facts, args.seed)
    write_versus(f"{args.out}/versus", dimensions)
    write_hugo(f"{args.out}/hugo", dimensions)
    words = sum(len(text.split()) for _, _, entries in dimensions for *_, text in entries)
    print(json.dumps({"facts": args.facts, "dimensions": len(dimensions), "words_per_fact": round(words / args.facts, 1)}))


if __name__ == "__main__":
    main()

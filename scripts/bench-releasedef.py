#!/usr/bin/env python3
"""Benchmark `relman releasedef generate` against the reference tool's way.

Builds (once, deterministically, with git fast-import) a repository of
5,000 commits on main whose sfdx-project.json lists 200 packages, each with
30 version tags <package>_v<version> (half annotated, half lightweight;
versions shuffled so that the newest tag is rarely the highest), plus a
side branch whose higher tags are not reachable from main. Refs are packed,
as in a clone. Then it runs, side by side and interleaved:

  relman:  relman releasedef generate --name bench --config <empty config>
  git:     one `git tag -l '<package>_v*' --merged HEAD` per package (the
           reference implementation's resolution, 200 processes)

checks that relman's versions are the highest semver among the tags git
lists, and prints the median wall time of each, the ratio relman/git
(target: at most 0.25) and relman's peak memory. Usage:

  scripts/bench-releasedef.py [--runs N]
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, ".cache", "bench", "releasedef")
COMMITS, ARTIFACTS, TAGS, SIDE = 5000, 200, 30, 60
EPOCH = 1_600_000_000


def generate(repo):
    rnd = random.Random(1)
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    out = []
    w = out.append
    ts = [EPOCH]

    def data(s):
        b = s.encode()
        w(f"data {len(b)}\n")
        w(s)
        w("\n")

    names = [f"pkg{i:03d}" for i in range(ARTIFACTS)]
    dirs = ",\n".join(
        f'    {{ "path": "src/{n}", "package": "{n}", "versionNumber": "1.0.0.NEXT" }}' for n in names
    )
    project = '{\n  "packageDirectories": [\n' + dirs + "\n  ],\n  \"sourceApiVersion\": \"60.0\"\n}\n"

    def commit(mark, ref, parent, path, content):
        ts[0] += rnd.randint(60, 3600)
        w(f"commit {ref}\nmark :{mark}\n")
        w(f"committer dev <dev@example.test> {ts[0]} +0000\n")
        data(f"change {mark}")
        if parent:
            w(f"from :{parent}\n")
        w(f"M 100644 inline {path}\n")
        data(content)

    commit(1, "refs/heads/main", None, "sfdx-project.json", project)
    for m in range(2, COMMITS + 1):
        n = names[rnd.randrange(ARTIFACTS)]
        commit(m, "refs/heads/main", m - 1, f"src/{n}/file{m % 50}.cls", f"revision {m}\n")
    # A side branch off the middle of main.
    base = COMMITS // 2
    for i in range(SIDE):
        m = COMMITS + 1 + i
        commit(m, "refs/heads/side", base if i == 0 else m - 1, f"side/{i}.txt", f"side {i}\n")

    expected = {}
    tagno = [0]

    def tag(name, mark, annotated):
        tagno[0] += 1
        if annotated:
            w(f"tag {name}\nfrom :{mark}\ntagger dev <dev@example.test> {EPOCH + tagno[0]} +0000\n")
            data(f"Release {name}")
        else:
            w(f"reset refs/tags/{name}\nfrom :{mark}\n\n")

    for n in names:
        versions = set()
        while len(versions) < TAGS:
            versions.add((rnd.randint(1, 3), rnd.randint(0, 12), rnd.randint(0, 5), rnd.randint(1, 25)))
        versions = list(versions)
        rnd.shuffle(versions)  # creation order is not version order
        marks = sorted(rnd.sample(range(1, COMMITS + 1), TAGS))
        for v, m in zip(versions, marks):
            tag(f"{n}_v{v[0]}.{v[1]}.{v[2]}-{v[3]}", m, rnd.random() < 0.5)
        expected[n] = max(versions)
        if rnd.random() < 0.1:  # a higher version only on the side branch
            tag(f"{n}_v9.0.0-1", COMMITS + 1 + rnd.randrange(SIDE), rnd.random() < 0.5)
    w("done\n")
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=repo, input="".join(out).encode(), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True)
    subprocess.run(["git", "pack-refs", "--all"], cwd=repo, check=True)
    return names


def run_rss(cmd, cwd):
    """Run cmd; return (seconds, max RSS in KiB, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed")
    return dt, ru.ru_maxrss, out


def semver_key(v):
    core, _, pre = v.partition("-")
    key = [tuple(int(x) for x in core.split("."))]
    if not pre:
        return (key[0], 1, ())
    ids = tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in pre.split("."))
    return (key[0], 0, ids)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()

    repo = os.path.join(BENCH, "repo")
    if not os.path.isdir(repo):
        os.makedirs(BENCH, exist_ok=True)
        names = generate(repo)
    else:
        names = [f"pkg{i:03d}" for i in range(ARTIFACTS)]
    binary = os.path.join(ROOT, ".cache", "bench", "relman")
    subprocess.run(["go", "build", "-trimpath", "-o", binary, "."], cwd=ROOT, check=True)
    config = os.path.join(BENCH, "config.yml")
    with open(config, "w") as f:
        f.write("onMissingTag: error\n")
    outdir = os.path.join(BENCH, "out")
    shutil.rmtree(outdir, ignore_errors=True)

    relman_cmd = [binary, "releasedef", "generate", "--name", "bench", "--config", config,
                  "--output-dir", outdir, "--output", "json"]
    git_cmds = [["git", "tag", "-l", f"{n}_v*", "--merged", "HEAD"] for n in names]

    # Both sides must answer the same question the same way.
    run_rss(relman_cmd, repo)
    got = {}
    with open(os.path.join(outdir, "release-bench.yml")) as f:
        section = None
        for line in f:
            if not line.startswith(" "):
                section = line.split(":")[0]
            elif section == "artifacts":
                k, v = line.strip().split(": ")
                got[k] = v
    ntags = 0
    for n, c in zip(names, git_cmds):
        tags = run_rss(c, repo)[2].decode().split()
        ntags += len(tags)
        want = max((t[len(n) + 2:] for t in tags), key=semver_key)
        if got.get(n) != want:
            sys.exit(f"bench: {n}: relman says {got.get(n)}, the highest tag git lists is {want}")
    ncommits = int(subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, capture_output=True, check=True).stdout)
    alltags = len(subprocess.run(["git", "tag"], cwd=repo, capture_output=True, check=True).stdout.split())

    rt, gt, rss = [], [], []
    for _ in range(2):  # warm the page cache for both
        run_rss(relman_cmd, repo)
        for c in git_cmds:
            run_rss(c, repo)
    for _ in range(a.runs):
        dt, m, _ = run_rss(relman_cmd, repo)
        rt.append(dt)
        rss.append(m)
        gt.append(sum(run_rss(c, repo)[0] for c in git_cmds))
    r, g = statistics.median(rt), statistics.median(gt)
    print(f"repository: {repo}")
    print(f"{ncommits} commits reachable from HEAD, {alltags} tags ({ntags} reachable), {len(names)} packages; versions agree")
    print(f"relman releasedef generate: median {r*1000:.1f} ms over {a.runs} runs")
    print(f"{len(names)} x git tag -l '<name>_v*' --merged HEAD: median {g*1000:.1f} ms over {a.runs} runs")
    print(f"ratio relman/git: {r/g:.3f}x (target <= 0.25x)")
    print(f"relman peak memory: {max(rss)/1024:.1f} MB")


if __name__ == "__main__":
    main()

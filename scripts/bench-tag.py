#!/usr/bin/env python3
"""Benchmark `relman tag --dry-run --impact-from commits` against plain git.

Runs, side by side and interleaved, on the repository made by
../shared/bench/genrepo.py (18,000 commits, ~590 tags, no commit-graph):

  relman:  relman tag --dry-run --impact-from commits --output json
  git:     git tag --merged HEAD  +  git rev-list <latest>..HEAD

and prints the median wall time of each, the ratio relman/git, and the peak
resident memory of relman. Usage:

  scripts/bench-tag.py [--repo DIR] [--runs N]

Without --repo it generates the repository under .cache/bench/ once.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, cwd):
    """Run cmd; return (seconds, max RSS in KiB, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} exited {p.returncode}")
    return dt, ru.ru_maxrss, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo")
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()

    repo = a.repo
    if not repo:
        repo = os.path.join(ROOT, ".cache", "bench", "repo")
        if not os.path.isdir(repo):
            gen = os.path.join(ROOT, "..", "shared", "bench", "genrepo.py")
            subprocess.run([sys.executable, gen, repo], check=True, stdout=subprocess.DEVNULL)
    binary = os.path.join(ROOT, ".cache", "bench", "relman")
    subprocess.run(["go", "build", "-trimpath", "-o", binary, "."], cwd=ROOT, check=True)

    relman_cmd = [binary, "tag", "--dry-run", "--impact-from", "commits", "--output", "json", "--remote", ""]
    _, _, out = run(relman_cmd, repo)
    res = json.loads(out)
    latest = res["previous-tag"]
    git_cmds = [["git", "tag", "--merged", "HEAD"], ["git", "rev-list", f"{latest}..HEAD"]]
    # Check that both sides answer the same question the same way.
    _, _, revs = run(git_cmds[1], repo)
    ncommits = len(revs.split())
    nchanges = len(res["changes"]) if isinstance(res["changes"], list) else len(json.loads(res["changes"]))
    if ncommits != nchanges:
        sys.exit(f"bench: git lists {ncommits} commits since {latest}, relman {nchanges}")

    rt, gt, rss = [], [], []
    for _ in range(3):  # warm the page cache for both
        run(relman_cmd, repo)
        for c in git_cmds:
            run(c, repo)
    for _ in range(a.runs):
        dt, m, _ = run(relman_cmd, repo)
        rt.append(dt)
        rss.append(m)
        gt.append(sum(run(c, repo)[0] for c in git_cmds))
    r, g = statistics.median(rt), statistics.median(gt)
    print(f"repository: {repo}")
    print(f"latest release {latest}, {ncommits} commits since, next {res['version']}")
    print(f"relman tag --dry-run --impact-from commits: median {r*1000:.1f} ms over {a.runs} runs")
    print(f"git tag --merged HEAD + git rev-list {latest}..HEAD: median {g*1000:.1f} ms over {a.runs} runs")
    print(f"ratio relman/git: {r/g:.2f}x")
    print(f"relman peak memory: {max(rss)/1024:.1f} MB")


if __name__ == "__main__":
    main()

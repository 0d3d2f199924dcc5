#!/usr/bin/env python3
"""Benchmark relman's write steps against the git CLI doing the same pushes.

Side by side, interleaved, on a repository with realistic trees (generated
once with git fast-import: 15,000+ commits over a Maven reactor of 10,000+
files in nested directories, a few files touched per commit, ~500 annotated
release tags), or on any clone given with --repo (e.g. a real project).
The remote is a local bare repository that already has the pipeline
commit, as in CI. For each step it prints the median wall time of relman
and of git over --runs runs, their ratio, and the peak resident memory of
each (the process and the children it waits for, e.g. git-receive-pack):

  plan         relman tag --dry-run        | git tag --merged HEAD + git rev-list LATEST..HEAD
  tag          relman tag                  | git tag -a + git push origin TAG
  tag-maven    relman tag --build-system maven
               (a detached version commit) | edit the poms, git commit, git tag -a, git push origin TAG
  backport     relman backport-branch      | git push --atomic origin C:release/N C:release/N.M
  prep-commit  relman prep-commit          | edit the poms, git commit, git push origin HEAD:BRANCH

Every run starts from the same state (the tags and branches a run made are
removed from both sides), and every relman run is checked: the ref it
pushed exists on the remote afterwards. Usage:

  scripts/bench-push.py [--repo CLONE] [--runs N] [--baseline RELMAN_BINARY]
                        [--steps plan,tag,...] [--build-system maven|simple]

--baseline adds a column for another relman binary (e.g. the previous
release) run the same way. Needs git (the peer, and the generator).
"""
import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com",
           RELMAN_GIT_USER_NAME="bench", RELMAN_GIT_USER_EMAIL="bench@example.com")
for k in ("GITHUB_TOKEN", "GITLAB_TOKEN", "RELMAN_TOKEN", "CI", "GITHUB_ACTIONS", "GITLAB_CI"):
    ENV.pop(k, None)


def run(cmd, cwd, check=True):
    """Run cmd; return (seconds, max RSS in KiB of it and the children it
    waited for, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    out = p.stdout.read()
    errb = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if check and p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} exited {p.returncode}\n{errb.decode(errors='replace')[-2000:]}")
    return dt, ru.ru_maxrss, out


def git(cwd, *args, check=True):
    r = subprocess.run(["git", *args], cwd=cwd, env=ENV, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit(f"bench: git {' '.join(args)} in {cwd}: {r.stderr.strip()}")
    return r.stdout.strip()


# ---------------------------------------------------------------- generator

MODULES, PACKAGES, FILES = 25, 8, 50  # 10,000 java files + 26 poms


def pom(module, version):
    if module is None:
        mods = "".join(f"    <module>modules/mod{m:02d}</module>\n" for m in range(MODULES))
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project>\n  <modelVersion>4.0.0</modelVersion>\n"
                f"  <groupId>org.example</groupId>\n  <artifactId>bench-parent</artifactId>\n  <version>{version}</version>\n"
                f"  <packaging>pom</packaging>\n  <modules>\n{mods}  </modules>\n</project>\n")
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project>\n  <modelVersion>4.0.0</modelVersion>\n"
            f"  <parent>\n    <groupId>org.example</groupId>\n    <artifactId>bench-parent</artifactId>\n    <version>{version}</version>\n"
            f"    <relativePath>../../pom.xml</relativePath>\n  </parent>\n  <artifactId>mod{module:02d}</artifactId>\n</project>\n")


def java(m, p, f, rev):
    body = "".join(f"    int field{i} = {rev * 31 + i};\n" for i in range(12))
    return f"package org.example.mod{m:02d}.pkg{p};\n\npublic class File{f:02d} {{\n{body}}}\n"


def generate(repo, commits, tag_every):
    """Write a repository with git fast-import; returns the latest tag."""
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    rnd = random.Random(12)
    out = []
    mark = 0

    def blob(data):
        nonlocal mark
        mark += 1
        b = data.encode()
        out.append(f"blob\nmark :{mark}\ndata {len(b)}\n".encode() + b + b"\n")
        return mark

    when = 1_600_000_000
    version = [1, 0, 0]
    snapshot = "1.0.0-SNAPSHOT"
    tags = 0
    latest = None
    for i in range(commits):
        files = {}
        if i == 0:
            files["pom.xml"] = pom(None, snapshot)
            for m in range(MODULES):
                files[f"modules/mod{m:02d}/pom.xml"] = pom(m, snapshot)
                for p in range(PACKAGES):
                    for f in range(FILES):
                        files[f"modules/mod{m:02d}/src/main/java/org/example/mod{m:02d}/pkg{p}/File{f:02d}.java"] = java(m, p, f, 0)
        else:
            for _ in range(rnd.randint(1, 3)):
                m, p, f = rnd.randrange(MODULES), rnd.randrange(PACKAGES), rnd.randrange(FILES)
                files[f"modules/mod{m:02d}/src/main/java/org/example/mod{m:02d}/pkg{p}/File{f:02d}.java"] = java(m, p, f, i)
        marks = {path: blob(data) for path, data in files.items()}
        when += 600
        msg = f"fix: change {i}\n".encode()
        cmd = f"commit refs/heads/main\ncommitter bench <bench@example.com> {when} +0000\ndata {len(msg)}\n".encode() + msg
        lines = [f"M 100644 :{mk} {path}\n" for path, mk in marks.items()]
        out.append(cmd + "".join(lines).encode() + b"\n")
        if i > 0 and i % tag_every == 0:
            tags += 1
            version = [version[0], version[1], version[2] + 1] if tags % 5 else [version[0], version[1] + 1, 0]
            name = ".".join(map(str, version))
            tmsg = f"Release {name}\n".encode()
            out.append(f"tag {name}\nfrom refs/heads/main\ntagger bench <bench@example.com> {when} +0000\ndata {len(tmsg)}\n".encode() + tmsg + b"\n")
            latest = name
    p = subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(out), env=ENV)
    if p.returncode != 0:
        sys.exit("bench: git fast-import failed")
    git(repo, "checkout", "-q", "main")
    git(repo, "gc", "--quiet")
    return latest


# ---------------------------------------------------------------- scenario

def set_pom_versions(work, new):
    """What a version commit does to the reactor, for the git side: the
    root project's version becomes new wherever a pom names it as a
    <version> (the project's own, its parent's, its siblings')."""
    with open(os.path.join(work, "pom.xml")) as f:
        root = re.sub(r"<parent>.*?</parent>", "", f.read(), count=1, flags=re.S)
    old = re.search(r"<version>([^<]+)</version>", root).group(1)
    for dirpath, dirnames, filenames in os.walk(work):
        if ".git" in dirnames:
            dirnames.remove(".git")
        if "pom.xml" in filenames:
            path = os.path.join(dirpath, "pom.xml")
            with open(path) as f:
                s = f.read()
            t = s.replace(f"<version>{old}</version>", f"<version>{new}</version>")
            if t != s:
                with open(path, "w") as f:
                    f.write(t)


class Bench:
    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="relman-bench-push-")
        src = a.repo
        if not src:
            src = os.path.join(ROOT, ".cache", "bench", f"push-repo-{a.commits}")
            if not os.path.isdir(src):
                print(f"generating {a.commits} commits with git fast-import into {src} ...", flush=True)
                generate(src, a.commits, a.tag_every)
        self.remote = os.path.join(self.tmp, "remote.git")
        self.work = os.path.join(self.tmp, "work")
        git(self.tmp, "clone", "-q", "--bare", "--no-local", src, self.remote)
        git(self.tmp, "clone", "-q", "--no-local", self.remote, self.work)
        self.branch = git(self.work, "rev-parse", "--abbrev-ref", "HEAD")
        # The pipeline commit: a fix on the branch, already on the remote.
        git(self.work, "commit", "-q", "--allow-empty", "-m", "fix: the pipeline commit")
        git(self.work, "push", "-q", "origin", f"HEAD:{self.branch}")
        self.pipe = git(self.work, "rev-parse", "HEAD")
        self.binary = os.path.join(ROOT, ".cache", "bench", "relman")
        subprocess.run(["go", "build", "-trimpath", "-o", self.binary, "."], cwd=ROOT, check=True)
        self.relmans = [("relman", self.binary)]
        if a.baseline:
            self.relmans.append(("baseline", os.path.abspath(a.baseline)))
        out = run(["git", "rev-list", "--count", "HEAD"], self.work)[2].decode().strip()
        files = run(["git", "ls-tree", "-r", "--name-only", "HEAD"], self.work)[2].count(b"\n")
        tags = run(["git", "tag"], self.work)[2].count(b"\n")
        pack = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(os.path.join(self.work, ".git", "objects")) for f in fs)
        print(f"repository: {src}: {out} commits, {files} files at HEAD, {tags} tags, {pack / 2**20:.0f} MiB of objects")

    def relman(self, binary, *args):
        return [binary, *args, "--output", "json", "--repo", self.work]

    def plan(self):
        res = run(self.relman(self.binary, "tag", "--dry-run", "--impact-from", "commits", "--build-system", self.a.build_system), self.work)[2]
        return json.loads(res)

    def drop_tag(self, name):
        git(self.remote, "update-ref", "-d", f"refs/tags/{name}", check=False)
        git(self.work, "tag", "-d", name, check=False)

    def reset(self):
        """Back to the state before a run: no new tag, no release branches,
        the branch at the pipeline commit on both sides."""
        for ref in git(self.remote, "for-each-ref", "--format=%(refname)", "refs/heads/release/").split():
            git(self.remote, "update-ref", "-d", ref)
        for ref in git(self.work, "for-each-ref", "--format=%(refname)", "refs/remotes/origin/release/", "refs/heads/release/").split():
            git(self.work, "update-ref", "-d", ref)
        git(self.remote, "update-ref", f"refs/heads/{self.branch}", self.pipe)
        git(self.work, "update-ref", f"refs/remotes/origin/{self.branch}", self.pipe)
        git(self.work, "checkout", "-q", "-f", self.branch)
        git(self.work, "reset", "-q", "--hard", self.pipe)

    # Each step returns {side: (seconds, rss)} for one run.

    def step_plan(self, latest, nxt):
        res = {}
        for name, b in self.relmans:
            dt, rss, _ = run(self.relman(b, "tag", "--dry-run", "--impact-from", "commits"), self.work)
            res[name] = (dt, rss)
        t1, r1, _ = run(["git", "tag", "--merged", "HEAD"], self.work)
        t2, r2, _ = run(["git", "rev-list", f"{latest}..HEAD"], self.work)
        res["git"] = (t1 + t2, max(r1, r2))
        return res

    def step_tag(self, latest, nxt, maven=False):
        res = {}
        extra = ["--build-system", "maven"] if maven else []
        for name, b in self.relmans:
            self.drop_tag(nxt)
            dt, rss, _ = run(self.relman(b, "tag", "--impact-from", "commits", *extra), self.work)
            if not git(self.remote, "rev-parse", "-q", "--verify", f"refs/tags/{nxt}", check=False):
                sys.exit(f"bench: {name} tag did not push {nxt}")
            res[name] = (dt, rss)
        self.drop_tag(nxt)
        t, rss = 0.0, 0
        if maven:
            set_pom_versions(self.work, nxt)
            for cmd in (["git", "commit", "-q", "-a", "-m", f"Release {nxt}"],):
                dt, r, _ = run(cmd, self.work)
                t, rss = t + dt, max(rss, r)
        for cmd in (["git", "tag", "-a", "-m", f"Release {nxt}", nxt], ["git", "push", "-q", "origin", f"refs/tags/{nxt}"]):
            dt, r, _ = run(cmd, self.work)
            t, rss = t + dt, max(rss, r)
        res["git"] = (t, rss)
        self.drop_tag(nxt)
        self.reset()
        return res

    def step_backport(self, latest, nxt):
        res = {}
        maj, mnr, _ = nxt.split(".")
        branches = [f"release/{maj}", f"release/{maj}.{mnr}"]
        pushed = None
        for name, b in self.relmans:
            self.reset()
            dt, rss, _ = run(self.relman(b, "backport-branch", "--version", nxt, "--build-system", self.a.build_system), self.work)
            heads = [git(self.remote, "rev-parse", "-q", "--verify", f"refs/heads/{br}", check=False) for br in branches]
            if not all(heads):
                sys.exit(f"bench: {name} backport-branch did not push {branches}")
            pushed = heads
            res[name] = (dt, rss)
        self.reset()
        dt, rss, _ = run(["git", "push", "-q", "--atomic", "origin"] + [f"{h}:refs/heads/{br}" for h, br in zip(pushed, branches)], self.work)
        res["git"] = (dt, rss)
        self.reset()
        return res

    def step_prep(self, latest, nxt):
        res = {}
        maj, mnr, _ = nxt.split(".")
        snap = f"{maj}.{int(mnr) + 1}.0-SNAPSHOT"
        for name, b in self.relmans:
            self.reset()
            dt, rss, _ = run(self.relman(b, "prep-commit", "--version", nxt, "--build-system", self.a.build_system), self.work)
            if git(self.remote, "rev-parse", f"refs/heads/{self.branch}") == self.pipe:
                sys.exit(f"bench: {name} prep-commit did not move {self.branch}")
            res[name] = (dt, rss)
        self.reset()
        t, rss = 0.0, 0
        set_pom_versions(self.work, snap)
        for cmd in (["git", "commit", "-q", "-a", "-m", f"Prepare {snap} [skip ci]"], ["git", "push", "-q", "origin", f"HEAD:{self.branch}"]):
            dt, r, _ = run(cmd, self.work)
            t, rss = t + dt, max(rss, r)
        res["git"] = (t, rss)
        self.reset()
        return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", help="a clone to benchmark on instead of the generated repository")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--commits", type=int, default=15000)
    ap.add_argument("--tag-every", type=int, default=30)
    ap.add_argument("--baseline", help="another relman binary to run the same way")
    ap.add_argument("--steps", default="plan,tag,tag-maven,backport,prep-commit")
    ap.add_argument("--build-system", default="maven", help="for backport and prep-commit (default maven)")
    a = ap.parse_args()
    b = Bench(a)
    try:
        p = b.plan()
        latest, nxt = p["previous-tag"], p["version"]
        if not nxt:
            sys.exit(f"bench: relman plans no release on {b.work}: {p.get('reason', p)}")
        print(f"latest release {latest}, next {nxt}, pipeline commit {b.pipe[:12]} on {b.branch}")
        steps = {
            "plan": b.step_plan,
            "tag": b.step_tag,
            "tag-maven": lambda l, n: b.step_tag(l, n, maven=True),
            "backport": b.step_backport,
            "prep-commit": b.step_prep,
        }
        sides = [n for n, _ in b.relmans] + ["git"]
        rows = []
        for step in a.steps.split(","):
            if step in ("backport", "prep-commit"):
                # Both follow a release: the tag exists while they run.
                b.drop_tag(nxt)
                extra = ["--build-system", a.build_system]
                run(b.relman(b.binary, "tag", "--impact-from", "commits", *extra), b.work)
            times = {s: [] for s in sides}
            rss = {s: [] for s in sides}
            for i in range(a.runs + 1):  # the first run warms the page cache
                r = steps[step](latest, nxt)
                if i == 0:
                    continue
                for s in sides:
                    times[s].append(r[s][0])
                    rss[s].append(r[s][1])
            if step in ("backport", "prep-commit"):
                b.drop_tag(nxt)
                b.reset()
            med = {s: statistics.median(times[s]) for s in sides}
            rows.append((step, med, {s: max(rss[s]) / 1024 for s in sides}))
        print()
        head = "| step | " + " | ".join(f"{s} wall" for s in sides) + " | relman/git | " + " | ".join(f"{s} peak RSS" for s in sides) + " |"
        print(head)
        print("|" + "---|" * (len(sides) * 2 + 2))
        for step, med, mem in rows:
            print(f"| {step} | " + " | ".join(f"{med[s]:.3f} s" for s in sides) +
                  f" | {med['relman'] / med['git']:.2f}x | " + " | ".join(f"{mem[s]:.0f} MiB" for s in sides) + " |")
        print(f"\nmedian of {a.runs} runs each, interleaved; peak RSS is the maximum over the runs")
    finally:
        shutil.rmtree(b.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

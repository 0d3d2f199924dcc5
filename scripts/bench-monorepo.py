#!/usr/bin/env python3
"""Benchmark relman's per-package tag step against its one-package one.

The question (issue 17): on a monorepo, does a pipeline that releases 3
packages cost at most 1.5x what the single-package tag step costs on the
same repository? Both run side by side, alternating, each on a fresh clone
(without a check-out: the tag step reads only the repository) of a local
bare remote that already has the pipeline commit, as in CI:

  plan, one package   relman tag --dry-run --impact-from commits --packages none
  plan, packages      relman tag --dry-run --impact-from commits
  tag, one package    relman tag --impact-from commits --packages none
                      (today's tag step: the next vX.Y.Z, one tag pushed)
  tag, packages       relman tag --impact-from commits
                      (every package changed since its own release: here 3,
                      their <name>_vX.Y.Z tags in one atomic push)

and, for reference, git doing the same pushes (git tag -a + git push; for
the packages, git tag -a each + git push --atomic). It prints the median
wall time and the peak resident memory of each (GNU time's: the process
and the children it waits for), and the ratios packages / one package.

The repository is generated once with git fast-import (seeded: the same
parameters give the same repository, in under a minute) and kept in
.cache/bench/, keyed by the parameters: 15,000 commits, 56 packages under
packages/<name>/ with nested source trees and a package.json each (13,000
files), shared files that belong to no package (README.md, .github/,
docs/, tools/, the root package.json and lock file), Conventional Commits
messages (impacts come from commits, no forge: feat, fix and perf, and
refactor, test and chore ones that release nothing), a quarter of the
changes on branches merged with --no-ff, and a release history: every 200
commits a pipeline tags each package released since (its own changes, or
a dependency's release) with an annotated <name>_vX.Y.Z, and the same
commit with the single-package vX.Y.Z. Some packages are released rarely,
some not for 10,000+ commits (deprecated ones), some are still on 0.x.
relman-packages.yml lists the packages with depends-on edges (10 packages
on core, chains through billing, queue and ui-kit; one dependency-bump:
minor, one none). After the last pipeline, 30 commits change exactly 3
packages that no package depends on (search, charts, i18n: no dependency
bump, the pipeline releases exactly those 3) and shared files.

By default, refactor/test/chore commits touch packages too, so a few
packages (one last released 11,000 commits back) have changes since their
release that release nothing: each pipeline examines them again. With
--no-package-chores every commit that touches a package has an impact (as
with impact labels, where a merge request without one fails the job): the
pipeline examines only the 3 packages it releases.

Every relman run is checked on the remote: the one-package run pushed
exactly the expected vX.Y.Z, the packages run exactly the 3 expected tags
(annotated, on the pipeline commit or on a release commit whose parent it
is), nothing else moved, the dry runs pushed nothing; and relman's plan
must be what the generator computed. Usage:

  scripts/bench-monorepo.py [--runs N] [--baseline RELMAN_BINARY]
                            [--no-package-chores] [--commits N] [--seed N]
  scripts/bench-monorepo.py --repo CLONE [--packages SETTING | --go-modules] [--runs N]

--baseline adds the one-package steps of another relman binary (e.g. one
built before issue 17: today's tag step, run without --packages).
--repo runs against an existing clone (a real monorepo) with its own
relman-packages.yml, or the packages setting --packages names (go, npm,
sfdx, maven, a config path); --go-modules commits a relman-packages.yml of
its Go modules (<dir>/vX.Y.Z tags) as the pipeline commit. The pipeline
commit is its HEAD (or that commit), and the expected tags are the ones
the dry run plans. Needs git, go, and GNU time for the memory figures.
"""
import argparse
import atexit
import importlib.util
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
import zlib

_spec = importlib.util.spec_from_file_location("bench_push", os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-push.py"))
bench_push = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_push)
ROOT, ENV, git = bench_push.ROOT, bench_push.ENV, bench_push.git
TIME = "/usr/bin/time"


def run(cmd, cwd):
    """Run cmd; return (seconds, max RSS in KiB of it and the children it
    waited for, stdout). The peak RSS is GNU time's when it is installed:
    os.wait4's counts, in a child of this process, the memory of this
    process at the fork (a floor of ~10 MiB, more after a generation)."""
    if not os.access(TIME, os.X_OK):
        return bench_push.run(cmd, cwd)
    with tempfile.NamedTemporaryFile(prefix="relman-bench-rss-") as f:
        t0 = time.perf_counter()
        p = subprocess.run([TIME, "-f", "%M", "-o", f.name, *cmd], cwd=cwd, env=ENV, capture_output=True)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} exited {p.returncode}\n{p.stderr.decode(errors='replace')[-2000:]}")
        rss = int(f.read().split()[-1])
    return dt, rss, p.stdout

# Bump when the generator's output changes, so cached repositories are remade.
GENERATOR = 2

# ---------------------------------------------------------------- generator

NAMES = [
    "core", "config", "logger", "errors", "http-client", "auth", "billing", "payments",
    "invoices", "notifications", "email", "sms", "search", "indexer", "analytics", "metrics",
    "tracing", "feature-flags", "i18n", "design-tokens", "ui-kit", "icons", "charts", "forms",
    "tables", "web-app", "admin-console", "mobile-shell", "api-gateway", "graphql-schema", "rest-api", "webhooks",
    "scheduler", "queue", "worker", "storage", "cache", "db-migrations", "orm", "validation",
    "crypto", "sdk-js", "cli", "devtools", "eslint-config", "tsconfig", "test-utils", "mocks",
    "e2e", "docs-site", "maps", "chat", "legacy-reports", "legacy-soap", "legacy-ftp", "legacy-sync",
]
# depends-on edges: 10 packages on core, chains through billing, queue, ui-kit.
DEPENDS = {
    "auth": ["core"], "billing": ["core"], "payments": ["core"], "notifications": ["core"],
    "search": ["core"], "analytics": ["core"], "storage": ["core"], "queue": ["core"],
    "scheduler": ["core"], "http-client": ["core"],
    "invoices": ["billing"], "worker": ["queue"], "email": ["notifications"],
    "ui-kit": ["design-tokens", "icons"], "charts": ["design-tokens"], "forms": ["ui-kit"],
    "web-app": ["ui-kit", "auth", "http-client"], "admin-console": ["ui-kit", "auth"],
}
BUMP = {"admin-console": "minor", "email": "none"}  # dependency-bump other than patch
ZERO = {"i18n", "maps", "chat", "feature-flags", "devtools", "mobile-shell", "graphql-schema"}  # still on 0.x
RARE = {"eslint-config", "tsconfig", "crypto", "mocks", "errors", "sms"}  # a few changes in all the history
LEGACY = {"legacy-reports", "legacy-soap", "legacy-ftp", "legacy-sync"}  # changed in the first fifth only
HOT = {"web-app": 6, "ui-kit": 4, "api-gateway": 4, "auth": 3, "billing": 3, "search": 2, "rest-api": 3}
TAIL = ["search", "charts", "i18n"]  # changed after the last pipeline; no package depends on them
EXTRA_PATHS = {"cli": ["tools/completions"]}  # a package with two paths

AREAS = ["components", "hooks", "services", "models", "utils", "api", "store", "lib", "adapters", "handlers", "schemas", "jobs"]
SUBS = ["common", "internal", "v1", "v2", "helpers", "types", "shared", "legacy", "experimental", "core"]
LEAVES = ["format", "parse", "client", "server", "state", "cache", "errors", "events", "mapper", "guards",
          "resolver", "context", "config", "loader", "router", "builder", "reducer", "selectors"]
MAJOR, MINOR, PATCH, NONE = 3, 2, 1, 0
IMPACT = {"feat": MINOR, "fix": PATCH, "perf": PATCH}
VERBS = ["handle", "support", "add", "drop", "rework", "simplify", "cache", "validate", "expose", "rename",
         "speed up", "log", "retry", "guard", "document", "test"]
THINGS = ["empty input", "time zones", "pagination", "retries", "the locale fallback", "large payloads",
          "the session refresh", "rounding", "unicode names", "stale entries", "the error path", "dark mode",
          "the config loader", "concurrent writes", "the batch size", "the default options"]


def bump(v, imp):
    """The next version after v (a tuple; None: no release yet) for the
    highest impact imp, by relman's rules (0.x: major and minor bump the
    minor)."""
    major, minor, patch = v or (0, 0, 0)
    if imp == MAJOR and major > 0:
        return (major + 1, 0, 0)
    if imp >= MINOR:
        return (major, minor + 1, 0)
    return (major, minor, patch + 1)


def vstr(v):
    return ".".join(map(str, v))


def topo(names, deps):
    out, seen = [], set()

    def visit(n):
        if n in seen:
            return
        seen.add(n)
        for d in sorted(deps.get(n, [])):
            visit(d)
        out.append(n)
    for n in sorted(names):
        visit(n)
    return out


def config_yaml(names):
    lines = ["# The packages of this repository, each released on its own (relman tag).",
             "# Tags: <name>_v<version>.", "packages:"]
    for n in names:
        lines.append(f"  - name: {n}")
        paths = [f"packages/{n}"] + EXTRA_PATHS.get(n, [])
        if len(paths) == 1:
            lines.append(f"    path: {paths[0]}")
        else:
            lines.append("    paths: [" + ", ".join(paths) + "]")
        if n in DEPENDS:
            lines.append("    depends-on: [" + ", ".join(DEPENDS[n]) + "]")
        if n in BUMP:
            lines.append(f"    dependency-bump: {BUMP[n]}")
    return "\n".join(lines) + "\n"


def manifest(n, v):
    deps = "".join(f',\n    "@acme/{d}": "workspace:^"' for d in DEPENDS.get(n, []))
    return (f'{{\n  "name": "@acme/{n}",\n  "version": "{v}",\n  "private": false,\n  "main": "dist/index.js",\n'
            f'  "types": "dist/index.d.ts",\n  "scripts": {{\n    "build": "tsc -b",\n    "test": "vitest run"\n  }},\n'
            f'  "dependencies": {{\n    "tslib": "^2.6.2"{deps}\n  }}\n}}\n')


def source(path, rev):
    """A TypeScript-looking file; rev changes its content."""
    h = zlib.crc32(path.encode())
    name = os.path.splitext(os.path.basename(path))[0].replace(".", "_").replace("-", "_")
    body = "".join(f"  if (input.k{i} === undefined) {{\n    out.push({rev * 7 + i + h % 97});\n  }}\n" for i in range(6 + h % 6))
    return (f"// {path}\nimport type {{ Options }} from \"./types\";\n\nexport interface {name.capitalize()}Input {{\n"
            + "".join(f"  k{i}?: number;\n" for i in range(4)) +
            f"}}\n\nexport function {name}(input: {name.capitalize()}Input, opts?: Options): number[] {{\n"
            f"  const out: number[] = [];\n{body}  return out; // rev {rev}\n}}\n")


def doc(path, rev):
    title = os.path.splitext(os.path.basename(path))[0].replace("-", " ").capitalize()
    return f"# {title}\n\n" + "".join(f"Paragraph {i} of {title.lower()}, revision {rev}. " * 4 + "\n\n" for i in range(5))


def package_files(rnd, n):
    """The files of package n: a nested source tree, tests, a manifest."""
    size = rnd.randint(110, 260) + (300 if n in HOT else 0)
    files = [f"packages/{n}/package.json", f"packages/{n}/README.md", f"packages/{n}/tsconfig.json",
             f"packages/{n}/CHANGELOG.md", f"packages/{n}/src/index.ts", f"packages/{n}/src/types.ts"]
    areas = rnd.sample(AREAS, rnd.randint(3, 7))
    while len(files) < size:
        a = rnd.choice(areas)
        d = f"packages/{n}/src/{a}/{rnd.choice(SUBS)}"
        if rnd.random() < 0.4:
            d += f"/{rnd.choice(LEAVES)}"
        f = f"{d}/{rnd.choice(LEAVES)}{rnd.choice(['', 's', '-utils', '-impl'])}.ts"
        if rnd.random() < 0.25:
            f = f"packages/{n}/test/{a}/{rnd.choice(LEAVES)}.test.ts"
        if f not in files:
            files.append(f)
    for p in EXTRA_PATHS.get(n, []):
        files += [f"{p}/{s}.bash" for s in ("relman", "acme", "install")] + [f"{p}/zsh/_acme", f"{p}/fish/acme.fish"]
    return files


def shared_files():
    files = ["README.md", "LICENSE", "CONTRIBUTING.md", "package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml",
             "tsconfig.base.json", ".gitignore", ".editorconfig", ".nvmrc", ".github/CODEOWNERS",
             ".github/pull_request_template.md", ".github/dependabot.yml"]
    files += [f".github/workflows/{w}.yml" for w in ("ci", "release", "nightly", "codeql", "deploy-preview")]
    files += [f"docs/{s}/{t}.md" for s in ("architecture", "guides", "adr", "runbooks") for t in
              ("overview", "testing", "releases", "deployments", "0001-monorepo", "0002-tags", "oncall", "incidents")]
    files += [f"tools/scripts/{s}.sh" for s in ("bootstrap", "lint", "build-all", "affected", "clean")]
    files += [f"tools/generators/{s}/index.ts" for s in ("package", "component", "service")]
    return files


def generate(repo, a):
    """Write the monorepo with git fast-import; returns what a pipeline at
    its tip must release (written next to it as JSON by the caller)."""
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "main")
    rnd = random.Random(a.seed)
    names = NAMES[:a.packages_count]
    if len(names) < a.packages_count:
        names += [f"pkg-{i:03d}" for i in range(len(names), a.packages_count)]
    order = topo(names, DEPENDS)
    dependents = {n: [m for m in names if n in DEPENDS.get(m, [])] for n in names}
    for n in TAIL:
        assert n in names and not dependents[n], f"tail package {n} must exist and have no dependents"

    out = []
    mark = 0
    when = 1_580_000_000
    count = 0  # commits written

    def newmark():
        nonlocal mark
        mark += 1
        return mark

    def blob(data):
        m = newmark()
        b = data.encode()
        out.append(f"blob\nmark :{m}\ndata {len(b)}\n".encode() + b + b"\n")
        return m

    def commit(ref, msg, ops, parent, merge=None, author="dev"):
        """ops: path -> blob mark, or None to delete."""
        nonlocal when, count
        when += rnd.randint(120, 1800)
        count += 1
        m = newmark()
        b = msg.encode()
        who = f"{author} <{author}@acme.example>"
        s = f"commit {ref}\nmark :{m}\nauthor {who} {when} +0000\ncommitter {who} {when} +0000\ndata {len(b)}\n"
        s = s.encode() + b + (f"\nfrom :{parent}\n" if parent else "\n").encode()
        if merge:
            s += f"merge :{merge}\n".encode()
        s += "".join(f"D {p}\n" if mk is None else f"M 100644 :{mk} {p}\n" for p, mk in ops.items()).encode()
        out.append(s + b"\n")
        return m

    def tag(name, target, msg):
        b = msg.encode()
        out.append(f"tag {name}\nfrom :{target}\ntagger release-bot <release-bot@acme.example> {when} +0000\ndata {len(b)}\n".encode() + b + b"\n")

    # The first commit: every package and the shared files.
    files = {n: package_files(rnd, n) for n in names}
    shared = shared_files()
    ops = {}
    for n in names:
        for f in files[n]:
            if f.endswith("package.json"):
                ops[f] = blob(manifest(n, "0.0.0-development"))
            elif f.endswith(".md"):
                ops[f] = blob(doc(f, 0))
            else:
                ops[f] = blob(source(f, 0))
    for f in shared:
        ops[f] = blob(doc(f, 0) if f.endswith(".md") else source(f, 0))
    tip = commit("refs/heads/main", "chore: import the monorepo\n", ops, None, author="founder")
    ops = {"relman-packages.yml": blob(config_yaml(names))}
    tip = commit("refs/heads/main", "ci: release each package on its own with relman\n", ops, tip, author="founder")
    # The releases before relman: the stable packages at 1.0.0, the
    # repository at v1.0.0.
    latest = {n: (None if n in ZERO else (1, 0, 0)) for n in names}
    released_at = {n: (0 if latest[n] else None) for n in names}
    for n in names:
        if latest[n]:
            tag(f"{n}_v1.0.0", tip, f"Release {n} 1.0.0\n")
    single = (1, 0, 0)
    tag("v1.0.0", tip, "Release 1.0.0\n")
    pending = {n: NONE for n in names}
    pending_single = NONE
    ntags = len([n for n in names if latest[n]]) + 1
    pipelines = 0

    weights = {n: (0.03 if n in RARE else HOT.get(n, rnd.choice([1, 1, 1.5, 2]))) for n in names}
    legacy_until = a.commits // 5

    def pick_package(tail):
        if tail:
            return rnd.choice(TAIL)
        pool = [n for n in names if n not in LEGACY or count < legacy_until]
        return rnd.choices(pool, [weights[n] for n in pool])[0]

    def content(f, rev, pkg):
        if f.endswith(".md"):
            return doc(f, rev)
        if f.endswith("package.json") and pkg:
            return manifest(pkg, "0.0.0-development").replace("^2.6.2", f"^2.6.{rev % 10}")
        return source(f, rev)

    revs = {}

    def change(tail=False):
        """One change: files, a message, its impact per package and for
        the repository as one package."""
        r = rnd.random()
        if r < 0.72:
            pkgs = [pick_package(tail)]
        elif r < 0.87:
            pkgs = [pick_package(tail), pick_package(tail)]
            if pkgs[0] == pkgs[1]:
                pkgs = pkgs[:1]
        else:
            pkgs = []
        ops = {}
        for p in pkgs or [None]:
            for _ in range(rnd.randint(1, 3 if len(pkgs) < 2 else 1)):
                if p is None:
                    f = rnd.choice(shared)
                elif rnd.random() < 0.04:  # a new file
                    base = os.path.dirname(rnd.choice(files[p]))
                    f = f"{base}/{rnd.choice(LEAVES)}-{count}.ts"
                    files[p].append(f)
                elif rnd.random() < 0.01 and len(files[p]) > 50 and not tail:  # a deleted file
                    f = files[p].pop(rnd.randrange(6, len(files[p])))
                    if f not in ops:
                        ops[f] = None
                    continue
                else:
                    f = rnd.choice(files[p])
                revs[f] = revs.get(f, 0) + 1
                ops[f] = blob(content(f, revs[f], p))
            if pkgs and rnd.random() < 0.1:  # a package change that also touches a shared file
                f = rnd.choice(shared)
                revs[f] = revs.get(f, 0) + 1
                ops[f] = blob(content(f, revs[f], None))
        if pkgs:
            r = rnd.random()
            kind = ("feat" if r < 0.3 else "fix" if r < 0.75 else "perf" if r < 0.78 else
                    "refactor" if r < 0.86 else "test" if r < 0.93 else "chore")
            if kind not in IMPACT and (tail or not a.package_chores):
                kind = rnd.choice(["feat", "fix"])
            breaking = not tail and rnd.random() < 0.0006
            scope = ",".join(pkgs)
            msg = f"{kind}({scope}){'!' if breaking else ''}: {rnd.choice(VERBS)} {rnd.choice(THINGS)}\n"
            if rnd.random() < 0.3:
                msg += f"\nThe {rnd.choice(THINGS)} case was not covered; see the issue.\n"
            if breaking:
                msg += "\nBREAKING CHANGE: the options object is required.\n"
            imp = MAJOR if breaking else IMPACT.get(kind, NONE)
        else:
            kind = rnd.choice(["docs", "ci", "chore", "chore(deps)", "build"])
            msg = f"{kind}: {rnd.choice(VERBS)} {rnd.choice(THINGS)}\n"
            imp = NONE
        return ops, msg, {p: imp for p in pkgs}, imp

    def land(impacts, imp):
        nonlocal pending_single
        for p, i in impacts.items():
            pending[p] = max(pending[p], i)
        pending_single = max(pending_single, imp)

    authors = [f"dev{i:02d}" for i in range(40)]
    since_pipeline = [tip]  # main's first-parent commits since the last pipeline
    prs = 0

    def one_change(tail=False):
        """A change landed on main: a direct commit, or a branch of 1-3
        commits merged with --no-ff (a quarter of the changes)."""
        nonlocal tip, prs
        who = rnd.choice(authors)
        if rnd.random() < 0.25:
            prs += 1
            base = rnd.choice(since_pipeline[-4:])
            btip, merged = base, {}
            for _ in range(rnd.randint(1, 3)):
                ops, msg, impacts, imp = change(tail)
                btip = commit("refs/heads/topic", msg, ops, btip, author=who)
                merged.update(ops)
                land(impacts, imp)
            tip = commit("refs/heads/main", f"Merge pull request #{prs} from acme/{who}/change-{prs}\n", merged, tip,
                         merge=btip, author="github")
        else:
            ops, msg, impacts, imp = change(tail)
            tip = commit("refs/heads/main", msg, ops, tip, author=who)
            land(impacts, imp)
        since_pipeline.append(tip)

    def pipeline():
        """Release what a relman pipeline at tip would: each package with an
        impact of its own since its release, then, dependencies first, the
        packages whose dependencies were released; and v for the whole."""
        nonlocal single, pending_single, ntags, pipelines
        pipelines += 1
        released = {}
        for n in order:
            imp = pending[n]
            if any(d in released for d in DEPENDS.get(n, [])):
                imp = max(imp, {"patch": PATCH, "minor": MINOR, "none": NONE}[BUMP.get(n, "patch")])
            if imp > NONE:
                released[n] = bump(latest[n], imp)
        for n, v in released.items():
            tag(f"{n}_v{vstr(v)}", tip, f"Release {n} {vstr(v)}\n")
            latest[n], pending[n], released_at[n] = v, NONE, count
        if pending_single > NONE:
            single = bump(single, pending_single)
            tag(f"v{vstr(single)}", tip, f"Release {vstr(single)}\n")
            pending_single = NONE
            ntags += 1
        ntags += len(released)
        since_pipeline[:] = [tip]

    tail_start = a.commits - a.tail
    last_pipeline = 0
    while count < tail_start:
        one_change()
        if count - last_pipeline >= a.tag_every:
            pipeline()
            last_pipeline = count
    if count > last_pipeline:
        pipeline()
    for n in TAIL:
        assert pending[n] == NONE
    while count < a.commits or any(pending[n] == NONE for n in TAIL):
        one_change(tail=True)
    assert all(pending[n] > NONE for n in TAIL) and not [n for n in names if n not in TAIL and pending[n] > NONE]

    p = subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(out), env=ENV)
    if p.returncode != 0:
        sys.exit("bench: git fast-import failed")
    git(repo, "update-ref", "-d", "refs/heads/topic")
    git(repo, "checkout", "-q", "main")
    git(repo, "gc", "--quiet")
    expect_single = "v" + vstr(bump(single, pending_single))
    expect = sorted(f"{n}_v{vstr(bump(latest[n], pending[n]))}" for n in TAIL)
    stale = {n: count - released_at[n] for n in names if released_at[n] is not None}
    return {
        "pipeline": git(repo, "rev-parse", "main"),
        "single": expect_single,
        "single-latest": "v" + vstr(single),
        "packages": expect,
        "packages-latest": {n: (f"{n}_v{vstr(latest[n])}" if latest[n] else None) for n in TAIL},
        "pipelines": pipelines,
        "tags": ntags,
        "merges": prs,
        "oldest-release": max(stale.values()),
        "released-over-5000-back": sorted(n for n, s in stale.items() if s > 5000),
    }


# ---------------------------------------------------------------- Go modules

def go_modules_config(bare):
    """relman-packages.yml for a repository of Go modules (a stand-in for
    --packages go): every module in a subdirectory that has release tags
    <dir>/vX.Y.Z (for a major-version directory .../v2, <parent>/v2.Y.Z),
    named by its directory, with depends-on from the requires between them
    (a requirement that would close a cycle is left out). A module nested in
    another one is a package too: its files count for both."""
    files = git(bare, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
    dirs = sorted(os.path.dirname(f) for f in files if os.path.basename(f) == "go.mod" and os.path.dirname(f))
    tags = set(git(bare, "tag").split())
    mods, pattern = {}, {}
    for d in dirs:
        m = re.search(r"^module\s+(\S+)", git(bare, "show", f"HEAD:{d}/go.mod"), re.M)
        major = re.fullmatch(r"(.*)/v([2-9]\d*)", d)
        prefix = f"{major.group(1)}/v" if major else f"{d}/v"
        if m and any(t.startswith(prefix) and re.fullmatch(r"\d+\.\d+\.\d+", t[len(prefix):]) for t in tags):
            mods[m.group(1)] = d
            pattern[d] = prefix + "{version}"
    deps = {}
    for mod, d in mods.items():
        text = git(bare, "show", f"HEAD:{d}/go.mod")
        deps[d] = sorted({mods[r] for r in re.findall(r"^\s*(?:require\s+)?(\S+)\s+v\S+", text, re.M) if r in mods and mods[r] != d})
    dropped, state = 0, {}

    def visit(d):
        nonlocal dropped
        state[d] = 1
        for e in list(deps[d]):
            if state.get(e) == 1:
                deps[d].remove(e)
                dropped += 1
            elif e not in state:
                visit(e)
        state[d] = 2
    for d in sorted(deps):
        if d not in state:
            visit(d)
    lines = ["# Written by scripts/bench-monorepo.py from the go.mod files.", "packages:"]
    for d in sorted(deps):
        lines += [f"  - name: {d}", f"    path: {d}", f"    tag-pattern: \"{pattern[d]}\""]
        if deps[d]:
            lines.append("    depends-on: [" + ", ".join(deps[d]) + "]")
    return "\n".join(lines) + "\n", len(deps), dropped


def commit_file(bare, branch, path, data, msg):
    """Commit path=data on top of branch, in a bare repository."""
    env = dict(ENV, GIT_INDEX_FILE=os.path.join(bare, "bench-index"))
    sh = lambda *a, inp=None: subprocess.run(["git", *a], cwd=bare, env=env, input=inp, capture_output=True, text=True, check=True).stdout.strip()
    blob = sh("hash-object", "-w", "--stdin", inp=data)
    sh("read-tree", branch)
    sh("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
    tree = sh("write-tree")
    c = sh("commit-tree", tree, "-p", branch, "-m", msg)
    sh("update-ref", f"refs/heads/{branch}", c)
    os.remove(env["GIT_INDEX_FILE"])
    return c


# ---------------------------------------------------------------- benchmark

def tags_of(repo):
    out = git(repo, "for-each-ref", "--format=%(refname:strip=2) %(objecttype) %(*objectname) %(objectname)", "refs/tags/")
    res = {}
    for line in out.splitlines():
        name, kind, peeled, obj = line.split(" ")
        res[name] = (kind, peeled or obj)
    return res


class Bench:
    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="relman-bench-monorepo-")
        atexit.register(shutil.rmtree, self.tmp, True)
        self.meta = None
        src = a.repo
        if not src:
            key = f"monorepo-g{GENERATOR}-c{a.commits}-p{a.packages_count}-e{a.tag_every}-t{a.tail}-s{a.seed}"
            if not a.package_chores:
                key += "-nochores"
            src = os.path.join(ROOT, ".cache", "bench", key)
            meta = src + ".json"
            if not os.path.isfile(meta):
                shutil.rmtree(src, ignore_errors=True)
                print(f"generating {a.commits} commits with git fast-import into {src} ...", flush=True)
                # In a child process: this one stays small, so that the
                # memory of the generation does not count in the runs'.
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        t0 = time.perf_counter()
                        m = generate(src, a)
                        m["generated-in"] = round(time.perf_counter() - t0, 1)
                        with open(meta + ".tmp", "w") as f:
                            json.dump(m, f, indent=2)
                        os.rename(meta + ".tmp", meta)
                        code = 0
                    finally:
                        os._exit(code)
                _, status = os.waitpid(pid, 0)
                if os.waitstatus_to_exitcode(status) != 0:
                    sys.exit("bench: the generation failed")
            with open(meta) as f:
                self.meta = json.load(f)
        self.src = src
        self.remote = os.path.join(self.tmp, "remote.git")
        git(self.tmp, "clone", "-q", "--bare", "--no-local", src, self.remote)
        self.branch = git(self.remote, "symbolic-ref", "--short", "HEAD")
        if a.go_modules:
            cfg, n, dropped = go_modules_config(self.remote)
            commit_file(self.remote, self.branch, "relman-packages.yml", cfg, "chore: relman-packages.yml (the Go modules)")
            print(f"pipeline commit: relman-packages.yml with {n} Go modules committed on {self.branch}"
                  + (f" ({dropped} requirements left out: they closed a cycle)" if dropped else ""))
        self.pipe = git(self.remote, "rev-parse", self.branch)
        if self.meta and self.meta["pipeline"] != self.pipe:
            sys.exit(f"bench: {src} is at {self.pipe}, its description {src}.json says {self.meta['pipeline']}: remove both and rerun")
        self.refs0 = self.refs()
        self.binary = os.path.join(ROOT, ".cache", "bench", "relman-monorepo")
        subprocess.run(["go", "build", "-trimpath", "-o", self.binary, "."], cwd=ROOT, check=True)
        self.knows = {}
        self.per_package = self.knows_packages(self.binary)
        self.baseline = os.path.abspath(a.baseline) if a.baseline else None
        self.runs = 0
        w = self.clone()
        commits = git(w, "rev-list", "--count", "HEAD")
        first_parent = git(w, "rev-list", "--count", "--first-parent", "HEAD")
        merges = git(w, "rev-list", "--count", "--merges", "HEAD")
        files = git(w, "ls-tree", "-r", "--name-only", "HEAD").count("\n") + 1
        pack = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(os.path.join(self.remote, "objects")) for f in fs)
        print(f"repository: {src}: {commits} commits ({first_parent} first-parent, {merges} merges), "
              f"{files} files at HEAD, {len(self.refs0)} refs, {pack / 2**20:.0f} MiB of objects")
        if self.meta:
            m = self.meta
            print(f"  {m['pipelines']} pipelines made {m['tags']} tags; the oldest latest release is {m['oldest-release']} commits back; "
                  f"released last over 5,000 commits back: {', '.join(m['released-over-5000-back']) or 'none'}")
        shutil.rmtree(w)

    def knows_packages(self, binary):
        """Whether binary has the packages setting (relman before issue 17
        releases the repository as one package without it)."""
        if binary not in self.knows:
            r = subprocess.run([binary, "tag", "--help"], capture_output=True, text=True, env=ENV)
            self.knows[binary] = "--packages" in r.stdout + r.stderr
        return self.knows[binary]

    def refs(self):
        return dict(line.split(" ", 1)[::-1] for line in git(self.remote, "for-each-ref", "--format=%(objectname) %(refname)").splitlines())

    def clone(self):
        """A fresh clone of the remote, as a CI job has, without the check
        out of its files: the tag step reads the repository, not the work
        tree, and checking out 10,000 files would take longer than the runs."""
        self.runs += 1
        w = os.path.join(self.tmp, f"work{self.runs}")
        git(self.tmp, "clone", "-q", "--no-local", "--no-checkout", "--branch", self.branch, self.remote, w)
        return w

    def reset(self):
        """The remote back to the state before a run."""
        now = self.refs()
        for ref in now:
            if ref not in self.refs0:
                git(self.remote, "update-ref", "-d", ref)
        for ref, obj in self.refs0.items():
            if now.get(ref) != obj:
                git(self.remote, "update-ref", ref, obj)

    def relman(self, binary, work, mode, *extra):
        cmd = [binary, "tag", "--impact-from", "commits", *extra, "--output", "json", "--repo", work]
        if mode == "one":
            if self.knows_packages(binary):
                cmd += ["--packages", "none"]
        elif self.a.packages:
            cmd += ["--packages", self.a.packages]
        return cmd

    def plan(self, work, mode):
        """relman's dry run: its JSON outputs, and what its log says it
        examined (package: latest release, commits since)."""
        cmd = self.relman(self.binary, work, mode, "--dry-run")
        p = subprocess.run(cmd, cwd=work, env=ENV, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} exited {p.returncode}\n{p.stderr[-2000:]}")
        examined = re.findall(r"^(.*?): latest release (.+?), (\d+) commits since$", p.stderr, re.M)
        return json.loads(p.stdout), examined

    def expected(self):
        """The tags each mode must push: from the generator, checked against
        relman's own plan; with --repo, the plan."""
        w = self.clone()
        one, seen = self.plan(w, "one")
        self.examined_one = seen
        if not one.get("tag"):
            sys.exit(f"bench: relman plans no one-package release at {self.pipe[:12]}: {one.get('reason', one)}")
        self.exp_one = [one["tag"]]
        self.exp_pkgs = None
        if self.per_package:
            p, self.examined = self.plan(w, "packages")
            pkgs = p.get("released-packages") or []
            if isinstance(pkgs, str):
                pkgs = json.loads(pkgs or "[]")
            self.exp_pkgs = sorted(x["tag"] for x in pkgs)
            if not self.exp_pkgs:
                sys.exit(f"bench: relman plans no package release at {self.pipe[:12]}: {p.get('reason', p)} "
                         "(without relman-packages.yml in the repository, pass --packages, or --go-modules for Go modules)")
        if self.meta:
            if self.exp_one != [self.meta["single"]]:
                sys.exit(f"bench: relman plans {self.exp_one} for the repository as one package, the generator expects {self.meta['single']}")
            if self.exp_pkgs is not None and self.exp_pkgs != self.meta["packages"]:
                sys.exit(f"bench: relman plans the package tags {self.exp_pkgs}, the generator expects {self.meta['packages']} "
                         f"(their latest releases: {self.meta['packages-latest']})")
        shutil.rmtree(w)

    def check_push(self, side, want):
        """The remote got exactly the tags want, annotated, on the pipeline
        commit (or a release commit on it), and no other ref moved."""
        now = self.refs()
        moved = sorted(r for r in set(now) | set(self.refs0) if now.get(r) != self.refs0.get(r))
        if moved != sorted(f"refs/tags/{t}" for t in want):
            sys.exit(f"bench: {side} changed the remote's refs {moved}, expected exactly the new tags {want}")
        tags = tags_of(self.remote)
        for t in want:
            kind, commit = tags[t]
            if kind != "tag":
                sys.exit(f"bench: {side} pushed {t} as a lightweight tag, expected an annotated one")
            if commit != self.pipe and git(self.remote, "rev-parse", f"{commit}^") != self.pipe:
                sys.exit(f"bench: {side} tagged {t} on {commit[:12]}, neither the pipeline commit {self.pipe[:12]} nor a release commit on it")

    def side_plan(self, work, binary, mode):
        dt, rss, _ = run(self.relman(binary, work, mode, "--dry-run"), work)
        return dt, rss

    def side_tag(self, name, binary, mode, want):
        w = self.clone()
        dt, rss, _ = run(self.relman(binary, w, mode), w)
        self.check_push(name, want)
        self.reset()
        shutil.rmtree(w)
        return dt, rss

    def side_git(self, want):
        w = self.clone()
        t, rss = 0.0, 0
        cmds = [["git", "tag", "-a", "-m", f"Release {x}", x] for x in want]
        cmds.append(["git", "push", "-q", *(["--atomic"] if len(want) > 1 else []), "origin", *[f"refs/tags/{x}" for x in want]])
        for cmd in cmds:
            dt, r, _ = run(cmd, w)
            t, rss = t + dt, max(rss, r)
        self.check_push("git", want)
        self.reset()
        shutil.rmtree(w)
        return t, rss

    def iteration(self, i):
        """One run of every side, the order alternating between runs."""
        res = {}
        plan = [("plan, one package", self.binary, "one")]
        tag = [("tag, one package", self.binary, "one", self.exp_one)]
        if self.per_package:
            plan.append(("plan, packages", self.binary, "packages"))
            tag.append(("tag, packages", self.binary, "packages", self.exp_pkgs))
        if self.baseline:
            plan.append(("plan, one package (baseline)", self.baseline, "one"))
            tag.append(("tag, one package (baseline)", self.baseline, "one", self.exp_one))
        if i % 2:
            plan.reverse()
            tag.reverse()
        w = self.clone()
        for name, binary, mode in plan:
            res[name] = self.side_plan(w, binary, mode)
            self.check_push(name, [])
        shutil.rmtree(w)
        for name, binary, mode, want in tag:
            res[name] = self.side_tag(name, binary, mode, want)
        res["git tag + push, one tag"] = self.side_git(self.exp_one)
        if self.exp_pkgs:
            res[f"git tag + push --atomic, {len(self.exp_pkgs)} tags"] = self.side_git(self.exp_pkgs)
        return res


def brief(items, n=10):
    """A list for a line of output: the first n items."""
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", help="a clone to benchmark on instead of the generated repository")
    ap.add_argument("--packages", default="", help="the packages setting for the per-package runs (with --repo: go, npm, sfdx, maven, a config path)")
    ap.add_argument("--go-modules", action="store_true",
                    help="with --repo: commit a relman-packages.yml of the repository's Go modules as the pipeline commit (a stand-in for --packages go)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", help="another relman binary whose one-package tag step runs the same way")
    ap.add_argument("--commits", type=int, default=15000)
    ap.add_argument("--packages-count", type=int, default=len(NAMES))
    ap.add_argument("--tag-every", type=int, default=200, help="commits between two release pipelines")
    ap.add_argument("--tail", type=int, default=30, help="commits after the last pipeline, on the 3 packages and shared files")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--no-package-chores", dest="package_chores", action="store_false",
                    help="every commit that touches a package is a feat, fix or perf (as with impact labels, where a merge request "
                    "without one fails the job): no package has unreleased changes, so the measured pipeline examines only the 3 it releases")
    a = ap.parse_args()
    if a.packages_count < 50 and not a.repo:
        sys.exit("bench: --packages-count must be at least 50")
    b = Bench(a)
    b.expected()
    print(f"pipeline commit {b.pipe[:12]} on {b.branch}: one package releases {', '.join(b.exp_one)}; "
          + (f"per package: {brief(b.exp_pkgs)}" if b.per_package else
             "this relman has no --packages setting yet: only the one-package step runs"))
    print(f"  one package walks {', '.join(f'{n} commits since {t}' for _, t, n in b.examined_one)}")
    if b.per_package:
        print(f"  per package, {len(b.examined)} packages have files changed since their latest release and are examined: "
              + brief([f"{p} ({n} commits since {t})" for p, t, n in b.examined]))
    rows = {}
    for i in range(a.runs + 1):  # the first run warms the page cache
        r = b.iteration(i)
        if i == 0:
            continue
        for k, v in r.items():
            rows.setdefault(k, []).append(v)
    table(rows, len(b.exp_pkgs or []))
    print(f"\nmedian of {a.runs} runs each, alternating, each on a fresh clone; peak RSS is the maximum over the runs")


def table(rows, released):
    """Print the Markdown table of rows (step -> [(seconds, KiB)]) and the
    ratios of the per-package steps to the one-package ones."""
    def order(k):
        return (not k.startswith("plan"), not k.startswith("tag"), "packages" not in k, "baseline" in k, k)
    print()
    print("| step | wall (median) | wall (min–max) | peak RSS |")
    print("|---|---|---|---|")
    med = {}
    for k, v in sorted(rows.items(), key=lambda kv: order(kv[0])):
        ts = [x[0] for x in v]
        med[k] = statistics.median(ts)
        print(f"| {k} | {med[k]:.3f} s | {min(ts):.3f}–{max(ts):.3f} s | {max(x[1] for x in v) / 1024:.0f} MiB |")
    print()
    for what in ("plan", "tag"):
        for ref in ("one package", "one package (baseline)"):
            p, o = med.get(f"{what}, packages"), med.get(f"{what}, {ref}")
            if p and o:
                goal = " (the issue asks ≤ 1.5x for 3 packages)" if what == "tag" and released == 3 else ""
                print(f"{what}: {released} packages / {ref}: {p / o:.2f}x{goal}")


if __name__ == "__main__":
    main()

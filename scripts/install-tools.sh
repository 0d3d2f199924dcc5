#!/usr/bin/env bash
# Installs the pinned tools the packaging and releasedef tests run
# into $RELMAN_TOOLS_DIR (default ~/.cache/relman-tools, outside the checkout
# so that clean clones reuse it), once per version, and prints the variables that point the
# tests at them:
#
#   eval "$(bash scripts/install-tools.sh)"
#
# - actionlint (Go), lints examples/ workflows and workflows that use the action;
# - podman, runc and the image's Debian packages (scripts/image.sh) build and
#   run the image;
# - goreleaser checks .goreleaser.yaml;
# - gitlab-ci-local (npm, pinned with scripts/tools/package-lock.json) runs the
#   GitLab components. 4.73.0 is the newest release that runs on Node.js 20;
#   4.74.0 and later need Node.js 22 (Set.prototype.union). It needs rsync, git
#   and bash.
# - sfp (@flxbl-io/sfp, npm, pinned with scripts/sfp/package-lock.json, in
#   its own directory) for the releasedef tests (internal/releasedef/sfp_test.go,
#   scripts/sfp-compare.sh): RELMAN_TEST_SFP is the package's directory.
#
# Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
GITLAB_CI_LOCAL_VERSION=4.73.0 # keep in step with scripts/tools/package.json

tools=${RELMAN_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relman-tools}
mkdir -p "$tools/bin"

actionlint_bin="$tools/bin/actionlint-$ACTIONLINT_VERSION"
if [ ! -x "$actionlint_bin" ]; then
  echo "== installing actionlint $ACTIONLINT_VERSION into $tools/bin" >&2
  gobin=$(mktemp -d)
  GOBIN="$gobin" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
  mv "$gobin/actionlint" "$actionlint_bin"
  rm -rf "$gobin"
fi

if ! grep -q "\"gitlab-ci-local\": \"$GITLAB_CI_LOCAL_VERSION\"" scripts/tools/package.json; then
  echo "scripts/tools/package.json does not pin gitlab-ci-local $GITLAB_CI_LOCAL_VERSION" >&2
  exit 1
fi
lock_sum=$(sha256sum scripts/tools/package-lock.json | cut -c1-12)
gcl_prefix="$tools/gitlab-ci-local-$GITLAB_CI_LOCAL_VERSION-$lock_sum"
gcl_bin="$gcl_prefix/node_modules/.bin/gitlab-ci-local"
if [ ! -x "$gcl_bin" ]; then
  echo "== installing gitlab-ci-local $GITLAB_CI_LOCAL_VERSION into $tools (npm ci)" >&2
  tmp="$gcl_prefix.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  cp scripts/tools/package.json scripts/tools/package-lock.json "$tmp/"
  (cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error >&2)
  rm -rf "$gcl_prefix"
  mv "$tmp" "$gcl_prefix"
fi
if ! command -v rsync >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing rsync (gitlab-ci-local copies the project with it)" >&2
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends rsync; } >&2
  else
    echo "warning: rsync is missing and gitlab-ci-local needs it: install it (apt-get install rsync)" >&2
  fi
fi

# >>> container tools (internal/cli/image_test.go) >>>
# podman and runc from Debian 12, pinned (apt-get, as root; crun and the
# default rlimits fail on these machines, so scripts/podman/containers.conf
# selects runc, cgroupfs and rlimits that work), and the pinned .debs the
# image is made of (scripts/image.sh fetch, cached in $tools/debs).
PODMAN_DEB_VERSION=4.3.1+ds1-8+deb12u1+b3
RUNC_DEB_VERSION=1.1.5+ds1-1+deb12u1
if [ "$(dpkg-query -W -f '${Version}' podman 2>/dev/null)" != "$PODMAN_DEB_VERSION" ] ||
  [ "$(dpkg-query -W -f '${Version}' runc 2>/dev/null)" != "$RUNC_DEB_VERSION" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing podman $PODMAN_DEB_VERSION and runc $RUNC_DEB_VERSION (the image tests)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "podman=$PODMAN_DEB_VERSION" "runc=$RUNC_DEB_VERSION"; } >&2
  else
    echo "warning: podman $PODMAN_DEB_VERSION and runc $RUNC_DEB_VERSION are missing and the image tests need them: apt-get install podman runc" >&2
  fi
fi
RELMAN_TOOLS_DIR=$tools bash scripts/image.sh fetch "$(dpkg --print-architecture)" >&2
if command -v podman >/dev/null; then
  echo "export RELMAN_TEST_PODMAN=$(printf '%q' "$(command -v podman)")"
fi
echo "export RELMAN_IMAGE_DEBS=$(printf '%q' "$tools/debs")"
# <<< container tools <<<

echo "export RELMAN_TEST_ACTIONLINT=$(printf '%q' "$actionlint_bin")"
echo "export RELMAN_TEST_GITLAB_CI_LOCAL=$(printf '%q' "$gcl_bin")"

# >>> sfp (internal/releasedef sfp tests, scripts/sfp-compare.sh) >>>
# @flxbl-io/sfp, pinned with scripts/sfp/package-lock.json, in its own
# directory: its release-definition JSON schema and the loader `sfp release`
# reads a definition with (through scripts/sfp/validate.js), and its
# `releasedefinition generate`, are the reference relman's release
# definitions are checked against. 39.2.2 runs on Node.js 20.
SFP_VERSION=39.2.2 # keep in step with scripts/sfp/package.json
if ! grep -q "\"@flxbl-io/sfp\": \"$SFP_VERSION\"" scripts/sfp/package.json; then
  echo "scripts/sfp/package.json does not pin @flxbl-io/sfp $SFP_VERSION" >&2
  exit 1
fi
sfp_sum=$(sha256sum scripts/sfp/package-lock.json | cut -c1-12)
sfp_prefix="$tools/sfp-$SFP_VERSION-$sfp_sum"
if [ ! -f "$sfp_prefix/node_modules/@flxbl-io/sfp/package.json" ]; then
  echo "== installing @flxbl-io/sfp $SFP_VERSION into $tools (npm ci)" >&2
  tmp="$sfp_prefix.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  cp scripts/sfp/package.json scripts/sfp/package-lock.json "$tmp/"
  (cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error >&2)
  rm -rf "$sfp_prefix"
  mv "$tmp" "$sfp_prefix"
fi
echo "export RELMAN_TEST_SFP=$(printf '%q' "$sfp_prefix/node_modules/@flxbl-io/sfp")"
# <<< sfp <<<

# >>> static analysis tools (golangci-lint, govulncheck; scripts/test.sh) >>>
# Pinned and built once into $RELMAN_TOOLS_DIR/bin (golangci-lint takes a few
# minutes to build on 2 cores the first time). govulncheck is v1.8.0, not
# v1.9.0: v1.9.0 needs a golang.org/x/telemetry version that the module proxy
# refuses to serve (403) here.
GOLANGCI_LINT_VERSION=v2.15.0 # keep .golangci.yml in its format (version: "2")
GOVULNCHECK_VERSION=v1.8.0
install_go_tool() { # NAME PACKAGE VERSION: prints the binary's path
  local bin="$tools/bin/$1-$3" gobin
  if [ ! -x "$bin" ]; then
    echo "== installing $1 $3 into $tools/bin" >&2
    gobin=$(mktemp -d)
    GOBIN="$gobin" go install "$2@$3" >&2
    mv "$gobin/$1" "$bin"
    rm -rf "$gobin"
  fi
  echo "$bin"
}
golangci_bin=$(install_go_tool golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint "$GOLANGCI_LINT_VERSION")
govulncheck_bin=$(install_go_tool govulncheck golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION")
# GoReleaser checks .goreleaser.yaml (internal/cli/release_test.go) and
# builds the release's binaries. v2.17.0: v2.18 needs Go 1.27. The first
# build takes about 20 minutes on 2 cores; then it is cached.
GORELEASER_VERSION=v2.17.0 # keep in step with .github/workflows/release.yml
goreleaser_bin=$(install_go_tool goreleaser github.com/goreleaser/goreleaser/v2 "$GORELEASER_VERSION")
echo "export RELMAN_TEST_GORELEASER=$(printf '%q' "$goreleaser_bin")"
echo "export RELMAN_GOLANGCI_LINT=$(printf '%q' "$golangci_bin")"
echo "export RELMAN_GOVULNCHECK=$(printf '%q' "$govulncheck_bin")"
# <<< static analysis tools <<<

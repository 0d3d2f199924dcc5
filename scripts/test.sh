#!/usr/bin/env bash
# The one test entry point: CI (.ci/run) and people run it alike.
# It checks formatting, vet and go.mod, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# >>> MinIO for the S3 tests (internal/s3store, internal/s3step, relman s3) >>>
# A real S3 server on loopback: built once from a pinned version into
# $RELMAN_TOOLS_DIR/bin (default ~/.cache/relman-tools: outside the
# checkout, so clean clones reuse it; the build takes minutes, so it starts now, in the
# background, and the checks below run meanwhile), started before the tests
# on a free port with a temporary directory, stopped at exit. The tests read
# RELMAN_TEST_S3_*; with RELMAN_TEST_S3_REQUIRED=1 they fail when it is gone.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
export RELMAN_TOOLS_DIR=${RELMAN_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relman-tools}
minio_bin="$RELMAN_TOOLS_DIR/bin/minio-$MINIO_VERSION"
minio_build_pid=
if [ ! -x "$minio_bin" ]; then
  echo "== building MinIO $MINIO_VERSION in the background (cached in $RELMAN_TOOLS_DIR/bin)"
  minio_gobin=$(mktemp -d)
  ( GOBIN="$minio_gobin" go install "github.com/minio/minio@$MINIO_VERSION" >"$minio_gobin/build.log" 2>&1 \
      && mkdir -p "$(dirname "$minio_bin")" && mv "$minio_gobin/minio" "$minio_bin" ) &
  minio_build_pid=$!
fi
minio_pid=
minio_dir=
stop_minio() {
  if [ -n "$minio_pid" ]; then kill "$minio_pid" 2>/dev/null || true; wait "$minio_pid" 2>/dev/null || true; fi
  if [ -n "$minio_dir" ]; then rm -rf "$minio_dir"; fi
  if [ -n "$minio_build_pid" ]; then kill "$minio_build_pid" 2>/dev/null || true; fi
}
trap stop_minio EXIT
start_minio() {
  if [ -n "$minio_build_pid" ]; then
    echo "== waiting for the MinIO build"
    if ! wait "$minio_build_pid"; then
      minio_build_pid=
      cat "$minio_gobin/build.log"; echo "MinIO build failed"; return 1
    fi
    minio_build_pid=
    rm -rf "$minio_gobin"
  fi
  minio_dir=$(mktemp -d)
  local user=relman-test pass key port tries=0
  pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  key=$(head -c 32 /dev/urandom | base64)
  while :; do
    tries=$((tries + 1))
    port=$((20000 + RANDOM % 40000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    MINIO_ROOT_USER=$user MINIO_ROOT_PASSWORD=$pass MINIO_BROWSER=off \
      MINIO_KMS_SECRET_KEY="relman-test:$key" MINIO_UPDATE=off \
      "$minio_bin" server --quiet --address "127.0.0.1:$port" "$minio_dir/data" >"$minio_dir/log" 2>&1 &
    minio_pid=$!
    for _ in $(seq 100); do
      if curl -fsS -o /dev/null "http://127.0.0.1:$port/minio/health/live" 2>/dev/null; then break 2; fi
      if ! kill -0 "$minio_pid" 2>/dev/null; then break; fi
      sleep 0.1
    done
    kill "$minio_pid" 2>/dev/null || true; wait "$minio_pid" 2>/dev/null || true; minio_pid=
    if [ "$tries" -ge 5 ]; then cat "$minio_dir/log"; echo "MinIO did not start"; return 1; fi
  done
  echo "== MinIO on 127.0.0.1:$port"
  export RELMAN_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
  export RELMAN_TEST_S3_ACCESS_KEY=$user RELMAN_TEST_S3_SECRET_KEY=$pass
  export RELMAN_TEST_S3_KMS_KEY="relman-test:$key"
  export RELMAN_TEST_MINIO_BIN="$minio_bin" RELMAN_TEST_S3_REQUIRED=1
}
# <<< MinIO <<<

# >>> packaging tools (internal/cli/packaging_test.go) >>>
# actionlint and gitlab-ci-local, pinned, installed once into $RELMAN_TOOLS_DIR by
# scripts/install-tools.sh; the tests read RELMAN_TEST_ACTIONLINT and
# RELMAN_TEST_GITLAB_CI_LOCAL and fail when these point at nothing.
# The same script installs sfp (@flxbl-io/sfp, pinned by
# scripts/sfp/package-lock.json) and sets RELMAN_TEST_SFP: the releasedef
# tests check every definition with sfp's schema and loader and run
# `sfp releasedefinition generate` side by side (internal/releasedef/sfp_test.go);
# they fail when it points at nothing.
echo "== packaging tools (actionlint, gitlab-ci-local, sfp)"
tools_env=$(bash scripts/install-tools.sh)
eval "$tools_env"
# <<< packaging tools <<<

echo "== gofmt"
unformatted=$(gofmt -l $(find . -name '*.go' -not -path './.cache/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go mod tidy"
go mod tidy -diff

echo "== go vet"
go vet ./...

# >>> static analysis: golangci-lint, govulncheck (docs/reliability.md) >>>
# Both pinned in scripts/install-tools.sh (run above, which sets
# RELMAN_GOLANGCI_LINT and RELMAN_GOVULNCHECK); the linters are in
# .golangci.yml. govulncheck reads RELMAN_VULNDB (default the public
# database; a file:// URL for a local copy of it, e.g. vulndb.zip unpacked).
# When that database cannot be reached it says so and is skipped: it is not
# reachable from this project's CI (docs/reliability.md, "Static analysis").
echo "== golangci-lint"
"$RELMAN_GOLANGCI_LINT" run ./...

echo "== govulncheck"
vulndb=${RELMAN_VULNDB:-https://vuln.go.dev}
vuln_rc=0
vuln_out=$("$RELMAN_GOVULNCHECK" -db "$vulndb" ./... 2>&1) || vuln_rc=$?
if [ "$vuln_rc" -ne 0 ] && grep -q '^govulncheck: fetching vulnerabilities' <<<"$vuln_out"; then
  echo "skipped: vulnerability database unreachable ($vulndb):"
  grep '^govulncheck: fetching vulnerabilities' <<<"$vuln_out" | head -n 1
  echo "(set RELMAN_VULNDB=file:///path/to/vulndb to use a local copy; see docs/reliability.md)"
else
  echo "$vuln_out"
  [ "$vuln_rc" -eq 0 ] || { echo "govulncheck failed (exit $vuln_rc)"; exit 1; }
fi
# <<< static analysis <<<

start_minio # MinIO (see above)

echo "== go test"
go test -race -count=1 "$@" ./...

# >>> fuzzing (docs/reliability.md) >>>
# Every native fuzz target for FUZZTIME (10s here; 2m for the figures in
# docs/reliability.md), one at a time. A failing input lands in the
# package's testdata/fuzz/ and fails the run.
echo "== fuzz"
FUZZTIME=${FUZZTIME:-10s} bash scripts/fuzz.sh
# <<< fuzzing <<<

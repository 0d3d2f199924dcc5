#!/usr/bin/env bash
# The fault figures of docs/reliability.md ("## Faults"): runs every fault
# scenario (the TestFault* tests: git remote, forge APIs and S3 behind
# internal/faultproxy) and prints their table and totals. The same tests run
# in bash scripts/test.sh; this script only collects the FAULT-RESULT lines
# they log. The S3 scenarios need MinIO: the one in RELMAN_TEST_S3_* when
# set, else the pinned binary scripts/test.sh builds into $RELMAN_TOOLS_DIR/bin,
# started here on a free loopback port and stopped at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

minio_pid=
minio_dir=
cleanup() {
  if [ -n "$minio_pid" ]; then kill "$minio_pid" 2>/dev/null || true; wait "$minio_pid" 2>/dev/null || true; fi
  if [ -n "$minio_dir" ]; then rm -rf "$minio_dir"; fi
}
trap cleanup EXIT

if [ -z "${RELMAN_TEST_S3_ENDPOINT:-}" ]; then
  version=$(sed -n 's/^MINIO_VERSION=//p' scripts/test.sh)
  bin="${RELMAN_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relman-tools}/bin/minio-$version"
  if [ ! -x "$bin" ]; then
    echo "no MinIO at $bin: run bash scripts/test.sh once (it builds it), or set RELMAN_TEST_S3_ENDPOINT, _ACCESS_KEY and _SECRET_KEY" >&2
    exit 1
  fi
  minio_dir=$(mktemp -d)
  user=relman-faults
  pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    MINIO_ROOT_USER=$user MINIO_ROOT_PASSWORD=$pass MINIO_BROWSER=off MINIO_UPDATE=off \
      "$bin" server --quiet --address "127.0.0.1:$port" "$minio_dir/data" >"$minio_dir/log" 2>&1 &
    minio_pid=$!
    for _ in $(seq 100); do
      if curl -fsS -o /dev/null "http://127.0.0.1:$port/minio/health/live" 2>/dev/null; then break 2; fi
      if ! kill -0 "$minio_pid" 2>/dev/null; then break; fi
      sleep 0.1
    done
    kill "$minio_pid" 2>/dev/null || true; wait "$minio_pid" 2>/dev/null || true; minio_pid=
  done
  if [ -z "$minio_pid" ]; then cat "$minio_dir/log" >&2; echo "MinIO did not start" >&2; exit 1; fi
  export RELMAN_TEST_S3_ENDPOINT="http://127.0.0.1:$port" RELMAN_TEST_S3_ACCESS_KEY=$user RELMAN_TEST_S3_SECRET_KEY=$pass
fi
export RELMAN_TEST_S3_REQUIRED=1

start=$(date +%s)
if ! out=$(go test -race -count=1 -run '^TestFault' -v ./... 2>&1); then
  grep -E -- '--- FAIL|^FAIL|panic:' <<<"$out" || true
  echo "the fault tests failed: go test -race -count=1 -run '^TestFault' -v ./..." >&2
  exit 1
fi
elapsed=$(($(date +%s) - start))

rows=$(grep -o 'FAULT-RESULT |.*' <<<"$out" | sed 's/^FAULT-RESULT //' | sort)
echo "| Scenario | Faults injected | Outcome | Re-run converged |"
echo "|---|---:|---|---|"
echo "$rows"
echo
awk -F'|' -v secs="$elapsed" '
  { n++; faults += $3; if ($4 ~ /^ *unchanged/) u++; else if ($4 ~ /^ *complete/) c++; else other++; if ($5 ~ /yes/) conv++ }
  END { printf "%d scenarios, %d faults injected; outcomes: %d unchanged, %d complete, %d half-written; re-run converged: %d of %d; %d s (go test -race)\n", n, faults, u, c, other, conv, n, secs }
' <<<"$rows"

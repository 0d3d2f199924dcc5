#!/usr/bin/env bash
# Runs every native fuzz target of the module, one at a time, for FUZZTIME
# each (default 2m), and prints a table: package, target, duration, execs,
# new interesting inputs, result. Exits non-zero when a target fails; the
# failing input is then in that package's testdata/fuzz/<Target>/, ready to
# commit as a regression case (plain `go test` replays it).
#
#   FUZZTIME=2m bash scripts/fuzz.sh          # the figures in docs/reliability.md
#   FUZZTIME=10s bash scripts/fuzz.sh         # what scripts/test.sh runs
#   FUZZ_MATCH=Redact bash scripts/fuzz.sh    # only targets whose name matches
#   FUZZ_SAVE_CORPUS=1 bash scripts/fuzz.sh   # also copy the inputs found into
#                                             # testdata/fuzz/<Target>, to commit
#
# The committed corpus (testdata/fuzz/<Target>/) is replayed by every plain
# `go test` and is where each fuzzing run starts; go test keeps what a run
# finds in its cache (GOCACHE/fuzz), and FUZZ_SAVE_CORPUS=1 moves it into the
# tree.
#
# The per-target logs are kept in FUZZ_LOG_DIR (default .cache/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-2m}
match=${FUZZ_MATCH:-}
logdir=${FUZZ_LOG_DIR:-$PWD/.cache/fuzz}
save=${FUZZ_SAVE_CORPUS:-}
module=$(go list -m)
cache=$(go env GOCACHE)/fuzz
mkdir -p "$logdir"

# Every "func FuzzX(f *testing.F)" in a _test.go file, as "./pkg FuzzX".
targets=$(grep -rE --include='*_test.go' --exclude-dir=.cache --exclude-dir=.git \
    '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . \
  | sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#./\1 \2#' \
  | sort -u)
if [ -n "$match" ]; then
  targets=$(grep -E -- "$match" <<<"$targets" || true)
fi
if [ -z "$targets" ]; then
  echo "no fuzz targets found${match:+ matching $match}"; exit 1
fi
n=$(wc -l <<<"$targets")
echo "== fuzzing $n targets, $fuzztime each (logs in $logdir)"

# bare_deadline LOG: the run failed only with "context deadline exceeded":
# no failing input written, no test failure, no panic.
bare_deadline() {
  grep -q '^    context deadline exceeded$' "$1" &&
    ! grep -qE 'Failing input written|^panic:|^\s+[A-Za-z0-9_]+\.go:[0-9]+: ' "$1"
}

rows=()
failed=0
races=0
total_execs=0
start_all=$(date +%s)
while read -r pkg name; do
  log="$logdir/$(tr / _ <<<"${pkg#./}")-$name.log"
  start=$(date +%s)
  if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
    result=ok
  elif bare_deadline "$log" && go test -count=1 -run "^${name}\$" "$pkg" >>"$log" 2>&1; then
    # Go 1.26's fuzz coordinator can report the end of -fuzztime itself as
    # "context deadline exceeded" when a worker is mid-input
    # (go.dev/issue/75804, fixed in Go 1.27). Such a run wrote no failing
    # input; the corpus replay above passed, so nothing was found.
    result="ok (deadline race)"
    races=$((races + 1))
  else
    result=FAIL
    failed=$((failed + 1))
  fi
  secs=$(( $(date +%s) - start ))
  if [ -n "$save" ] && [ -d "$cache/$module/${pkg#./}/$name" ]; then
    mkdir -p "${pkg}/testdata/fuzz/$name"
    cp -n "$cache/$module/${pkg#./}/$name"/* "${pkg}/testdata/fuzz/$name/"
  fi
  # The last progress line: "fuzz: elapsed: 10s, execs: 123 (12/sec), new interesting: 4 (total: 20)".
  last=$(grep -E '^fuzz: elapsed: .*execs: [0-9]+' "$log" | tail -n 1 || true)
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
  newint=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
  execs=${execs:-0} newint=${newint:-0}
  total_execs=$((total_execs + execs))
  rows+=("| ${pkg#./} | $name | ${secs}s | $execs | $newint | $result |")
  printf '%-28s %-26s %5ss %12s execs  %s\n' "${pkg#./}" "$name" "$secs" "$execs" "$result"
  if [ "$result" = FAIL ]; then
    grep -vE '^fuzz: elapsed' "$log" | tail -n 30
    failing=$(sed -nE 's/.*Failing input written to (.*)$/\1/p' "$log" | tail -n 1)
    if [ -n "$failing" ]; then
      echo "   the failing input is in ${pkg#./}/$failing: fix the code, keep the file as a regression case"
    fi
  fi
done <<<"$targets"

echo
echo "fuzz results (FUZZTIME=$fuzztime, GOMAXPROCS workers: $(nproc), $(go version | cut -d' ' -f3)):"
echo
echo "| package | target | duration | execs | new interesting | result |"
echo "|---|---|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo
echo "total: $n targets, $total_execs execs, $(( $(date +%s) - start_all ))s, $failed failed, $races deadline races (go.dev/issue/75804)"
[ "$failed" -eq 0 ]

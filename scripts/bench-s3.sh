#!/usr/bin/env bash
# Benchmark: relman s3 sync against aws s3 sync and rclone sync, on the same
# MinIO, with a tree of 2,000 files (1,900 of 1-20 KB, 100 of 1 MB).
#
#   bash scripts/bench-s3.sh [RUNS]     (default 3 runs; medians are printed)
#
# It measures the first sync of the tree, and a re-sync after a fresh clone
# (every mtime new, no content changed): time, bytes uploaded and object
# versions created. It installs awscli and rclone from Debian when they are
# missing (not part of the test path) and builds MinIO like scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}

# Tools that read these choke on the CA bundle variables of some
# environments; MinIO is plain HTTP on loopback, so none is needed.
unset AWS_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE NIX_SSL_CERT_FILE || true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 || true

if [ ! -x /usr/bin/aws ] || ! command -v rclone >/dev/null; then
  echo "== installing awscli and rclone (Debian)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq awscli rclone >/dev/null
fi
AWS=/usr/bin/aws
command -v git >/dev/null || { echo "git is needed to clone the benchmark tree"; exit 1; }

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
tools=${RELMAN_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relman-tools}
minio_bin="$tools/bin/minio-$MINIO_VERSION"
if [ ! -x "$minio_bin" ]; then
  echo "== building MinIO $MINIO_VERSION"
  GOBIN="$tools/bin" go install "github.com/minio/minio@$MINIO_VERSION"
  mv "$tools/bin/minio" "$minio_bin"
fi
work=$(mktemp -d)
minio_pid=
cleanup() {
  if [ -n "$minio_pid" ]; then kill "$minio_pid" 2>/dev/null || true; wait "$minio_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building relman"
go build -o "$work/relman" .
relman="$work/relman"

port=$((20000 + RANDOM % 40000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((20000 + RANDOM % 40000)); done
export AWS_ACCESS_KEY_ID=bench-user AWS_SECRET_ACCESS_KEY=bench-secret-key AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
endpoint="http://127.0.0.1:$port"
MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY MINIO_BROWSER=off MINIO_UPDATE=off \
  "$minio_bin" server --quiet --address "127.0.0.1:$port" "$work/minio" >"$work/minio.log" 2>&1 &
minio_pid=$!
for _ in $(seq 100); do curl -fsS -o /dev/null "$endpoint/minio/health/live" 2>/dev/null && break; sleep 0.1; done
echo "== MinIO on $endpoint ($(nproc) CPUs)"

# rclone's remote, from the environment.
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Minio RCLONE_CONFIG_BENCH_ENDPOINT=$endpoint \
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
  RCLONE_CONFIG_BENCH_REGION=us-east-1

awsapi() { "$AWS" --endpoint-url "$endpoint" "$@"; }
for b in relman aws rclone; do
  awsapi s3api create-bucket --bucket "bench-$b" >/dev/null
  awsapi s3api put-bucket-versioning --bucket "bench-$b" --versioning-configuration Status=Enabled
done

echo "== generating the tree (1,900 files of 1-20 KB, 100 of 1 MB)"
src="$work/src"
python3 - "$src" <<'EOF'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(42)
for i in range(2000):
    d = os.path.join(root, "assets", f"d{i % 40:02d}")
    os.makedirs(d, exist_ok=True)
    size = 1 << 20 if i % 20 == 0 else rnd.randint(1024, 20 * 1024)
    with open(os.path.join(d, f"f{i:04d}.bin"), "wb") as f:
        f.write(rnd.randbytes(size))
EOF
git -C "$src" init -q -b main
git -C "$src" -c user.name=bench -c user.email=bench@example.com add -A
git -C "$src" -c user.name=bench -c user.email=bench@example.com commit -q -m tree
git -C "$src" tag v1.0.0
echo "tree: $(find "$src/assets" -type f | wc -l) files, $(du -sh "$src/assets" | cut -f1)"

clone() { rm -rf "$1"; git clone -q "$src" "$1"; }
versions() { awsapi s3api list-object-versions --bucket "$1" --prefix "$2/" --query 'length(Versions || `[]`)' --output text | awk '{s += $1} END {print s + 0}'; }
now() { date +%s.%N; }
declare -A T V B

# run NAME BUCKET PREFIX DIR CMD...: times CMD, records versions created.
run() {
  local name=$1 bucket=$2 prefix=$3 dir=$4; shift 4
  local before after t0 t1
  before=$(versions "$bucket" "$prefix")
  t0=$(now)
  (cd "$dir" && "$@") >"$work/out" 2>"$work/err" || { cat "$work/err"; exit 1; }
  t1=$(now)
  after=$(versions "$bucket" "$prefix")
  T[$name]+="$(echo "$t1 - $t0" | bc) "
  V[$name]+="$((after - before)) "
}

for r in $(seq "$runs"); do
  p="run$r"
  echo "== run $r/$runs"
  # First sync of the tree.
  clone "$work/c1"
  run relman-first bench-relman "$p" "$work/c1" "$relman" s3 sync --endpoint "$endpoint" --bucket bench-relman --prefix "$p" --include 'assets/' --exclude '' --output json
  B[relman-first]+="$(sed -n 's/.*"bytes":"\([0-9]*\)".*/\1/p' "$work/out") "
  run aws-first bench-aws "$p" "$work/c1" "$AWS" --endpoint-url "$endpoint" s3 sync assets "s3://bench-aws/$p/assets" --only-show-errors
  run rclone-first bench-rclone "$p" "$work/c1" rclone sync assets "bench:bench-rclone/$p/assets"
  # Re-sync after a fresh clone: same content, new mtimes.
  clone "$work/c2"
  run relman-resync bench-relman "$p" "$work/c2" "$relman" s3 sync --endpoint "$endpoint" --bucket bench-relman --prefix "$p" --include 'assets/' --exclude '' --output json
  B[relman-resync]+="$(sed -n 's/.*"bytes":"\([0-9]*\)".*/\1/p' "$work/out") "
  run aws-resync bench-aws "$p" "$work/c2" "$AWS" --endpoint-url "$endpoint" s3 sync assets "s3://bench-aws/$p/assets" --only-show-errors
  run rclone-resync bench-rclone "$p" "$work/c2" rclone sync assets "bench:bench-rclone/$p/assets"
  clone "$work/c3"
  run rclone-checksum-resync bench-rclone "$p" "$work/c3" rclone sync --checksum assets "bench:bench-rclone/$p/assets"
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
echo "== results: median of $runs runs, seconds (object versions created per run)"
printf '%-28s %10s %10s\n' "run" "seconds" "versions"
for k in relman-first aws-first rclone-first relman-resync aws-resync rclone-resync rclone-checksum-resync; do
  printf '%-28s %10.3f %10s\n' "$k" "$(echo "${T[$k]}" | median)" "$(echo "${V[$k]}" | median)"
done
rf=$(echo "${T[relman-first]}" | median); cf=$(echo "${T[rclone-first]}" | median)
rr=$(echo "${T[relman-resync]}" | median); ar=$(echo "${T[aws-resync]}" | median); kr=$(echo "${T[rclone-checksum-resync]}" | median)
echo
echo "(relman's first-sync count includes its one manifest object)"
echo "relman re-sync uploaded bytes: $(echo "${B[relman-resync]}" | median), versions created: $(echo "${V[relman-resync]}" | median)"
printf 'first sync:  relman / rclone                  = %.2f (target <= 1.0)\n' "$(echo "$rf / $cf" | bc -l)"
printf 're-sync:     relman / aws s3 sync             = %.2f (target <= 0.3)\n' "$(echo "$rr / $ar" | bc -l)"
printf 're-sync:     relman / rclone sync --checksum  = %.2f (target <= 1.0)\n' "$(echo "$rr / $kr" | bc -l)"

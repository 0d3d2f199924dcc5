#!/usr/bin/env bash
# Builds relman's image without pulling anything: FROM scratch (Dockerfile)
# plus a static relman and a root file system assembled from pinned Debian 12
# packages (CA certificates, tzdata, busybox for GitLab's job shell). The
# release (.github/workflows/release.yml) and the image tests
# (internal/cli/image_test.go) build it the same way.
#
#   scripts/image.sh context DIR PLATFORM...  # the build context: DIR/linux/amd64/{relman,rootfs/,home/}, ...
#   scripts/image.sh rootfs DIR PLATFORM...   # its rootfs/ and home/ only (needs apt-get, not Go)
#   scripts/image.sh binaries DIR PLATFORM... # its relman only (needs Go, not apt-get)
#   scripts/image.sh fetch ARCH...            # the .debs only (scripts/install-tools.sh)
#   scripts/image.sh build TAG                # context + build for this machine's platform; prints the size
#
# VERSION (default dev) is stamped into the binary. The .deb files are kept in
# RELMAN_IMAGE_DEBS (default $RELMAN_TOOLS_DIR/debs): a clean clone reuses
# them. They are fetched with apt-get from this machine's Debian 12 sources
# into a private apt state (no change to the system's apt configuration),
# so this needs a Debian 12 host or container (the release runs it in
# debian:bookworm-slim). build uses CONTAINER_ENGINE (default podman, else
# docker); podman gets CONTAINERS_CONF=scripts/podman/containers.conf
# unless it is set (runc, cgroupfs, rlimits that work here).
set -euo pipefail
cd "$(dirname "$0")/.."

# The pinned packages: NAME=VERSION, the same version on amd64 and arm64.
# Debian replaces a version when it updates the package; then pin the new
# one (apt-cache policy NAME) and the image test shows what changed.
PACKAGES=(
  "busybox-static=1:1.35.0-4+deb12u1+b1"
  "ca-certificates=20250419~deb12u2"
  "tzdata=2026f-0+deb12u1"
)

tools=${RELMAN_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relman-tools}
debs=${RELMAN_IMAGE_DEBS:-$tools/debs}
VERSION=${VERSION:-dev}

die() { echo "scripts/image.sh: $*" >&2; exit 1; }

# debfile ARCH NAME=VERSION: where fetch keeps the package (apt's file name).
debfile() {
  local name=${2%%=*} version=${2#*=} f
  for f in "$debs/$1/${name}_${version//:/%3a}_$1.deb" "$debs/$1/${name}_${version//:/%3a}_all.deb"; do
    if [ -s "$f" ]; then echo "$f"; return 0; fi
  done
  return 1
}

# fetch ARCH: the pinned .debs of ARCH into $debs/ARCH (once).
fetch() {
  local arch=$1 dir="$debs/$1" missing=() spec
  mkdir -p "$dir"
  for spec in "${PACKAGES[@]}"; do
    debfile "$arch" "$spec" >/dev/null || missing+=("${spec%%=*}:$arch=${spec#*=}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "apt-get is needed to fetch ${missing[*]}: run this on Debian 12 (or in debian:bookworm-slim)"
  local apt tmp
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
  apt=(apt-get -qq -o Dir::State::Lists="$tmp/lists" -o Dir::Cache="$tmp/cache" -o Dir::State::status=/dev/null
    -o APT::Architecture="$arch" -o APT::Architectures::="$arch" -o APT::Sandbox::User=root)
  echo "== fetching ${missing[*]} into $dir" >&2
  "${apt[@]}" update >&2 || { rm -rf "$tmp"; die "apt-get update ($arch) failed"; }
  if ! (cd "$tmp" && "${apt[@]}" download "${missing[@]}" >&2); then
    rm -rf "$tmp"
    die "cannot download ${missing[*]}: Debian has other versions now? (apt-cache policy NAME) — pin them in scripts/image.sh"
  fi
  mv "$tmp"/*.deb "$dir/"
  rm -rf "$tmp"
}

# rootfs ARCH DIR: the image's files but relman.
rootfs() {
  local arch=$1 out=$2 x spec name deb
  x=$(mktemp -d)
  rm -rf "$out"
  mkdir -p "$out"/{bin,etc/ssl/certs,tmp,root,home,usr/share/doc,var/lib/dpkg/status.d}
  for spec in "${PACKAGES[@]}"; do
    name=${spec%%=*}
    deb=$(debfile "$arch" "$spec")
    dpkg-deb -x "$deb" "$x/$name"
    # What scanners (syft, trivy, grype) read to list the image's packages,
    # as distroless images do.
    { dpkg-deb -f "$deb" Package Version Architecture Source Maintainer Homepage; echo "Status: install ok installed"; } \
      >"$out/var/lib/dpkg/status.d/$name"
    cp -a "$x/$name/usr/share/doc/$name" "$out/usr/share/doc/"
  done
  # busybox: the shell GitLab runs the job script with, and its tools.
  cp "$x/busybox-static/bin/busybox" "$out/bin/busybox"
  local lister="$out/bin/busybox"
  if ! "$lister" true 2>/dev/null; then # another architecture: its applets are the same
    fetch "$(dpkg --print-architecture)"
    dpkg-deb -x "$(debfile "$(dpkg --print-architecture)" "${PACKAGES[0]}")" "$x/native"
    lister="$x/native/bin/busybox"
  fi
  local applet
  for applet in $("$lister" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$out/bin/$applet"
  done
  # CA certificates: the bundle update-ca-certificates would write.
  find "$x/ca-certificates/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat >"$out/etc/ssl/certs/ca-certificates.crt"
  # tzdata, without the right/ (leap second) variants nothing here reads.
  mkdir -p "$out/usr/share"
  cp -a "$x/tzdata/usr/share/zoneinfo" "$out/usr/share/zoneinfo"
  rm -rf "$out/usr/share/zoneinfo/right"
  printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/sh\n' >"$out/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$out/etc/group"
  chmod 1777 "$out/tmp"
  chmod 0700 "$out/root"
  rm -rf "$x"
}

# platforms PLATFORM...: checks them; prints their architectures.
platforms() {
  local platform
  [ $# -gt 0 ] || die "no platform: expected linux/amd64, linux/arm64 or both"
  for platform in "$@"; do
    [[ "$platform" =~ ^linux/(amd64|arm64)$ ]] || die "platform $platform: expected linux/amd64 or linux/arm64"
    echo "${platform#linux/}"
  done
}

# rootfs_for DIR PLATFORM...: DIR/PLATFORM/rootfs and home (no Go needed).
rootfs_for() {
  local dir=$1 arch
  shift
  for arch in $(platforms "$@"); do
    fetch "$arch"
    rootfs "$arch" "$dir/linux/$arch/rootfs"
    mkdir -p "$dir/linux/$arch/home" # the home of nonroot, which owns it (Dockerfile)
  done
}

# binaries DIR PLATFORM...: DIR/PLATFORM/relman (no apt needed).
binaries() {
  local dir=$1 arch
  shift
  for arch in $(platforms "$@"); do
    echo "== building relman $VERSION for linux/$arch" >&2
    CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath \
      -ldflags="-s -w -X github.com/relman-dev/relman/internal/cli.Version=$VERSION" \
      -o "$dir/linux/$arch/relman" .
  done
}

usage="usage: scripts/image.sh fetch ARCH... | rootfs DIR PLATFORM... | binaries DIR PLATFORM... | context DIR PLATFORM... | build TAG"
case ${1:-} in
fetch)
  shift
  [ $# -gt 0 ] || die "$usage"
  for a in "$@"; do fetch "$a"; done
  ;;
rootfs | binaries)
  [ $# -ge 3 ] || die "$usage"
  cmd=$1
  shift
  if [ "$cmd" = rootfs ]; then rootfs_for "$@"; else binaries "$@"; fi
  ;;
context)
  [ $# -ge 3 ] || die "$usage"
  shift
  rootfs_for "$@"
  binaries "$@"
  ;;
build)
  [ $# -eq 2 ] || die "usage: scripts/image.sh build TAG"
  tag=$2
  engine=${CONTAINER_ENGINE:-$(command -v podman || command -v docker || true)}
  [ -n "$engine" ] || die "no container engine: install podman and runc (scripts/install-tools.sh does as root) or docker"
  if [ "$(basename "$engine")" = podman ]; then
    export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/scripts/podman/containers.conf}
  fi
  platform=linux/$(go env GOARCH)
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  rootfs_for "$ctx" "$platform"
  binaries "$ctx" "$platform"
  echo "== $engine build $tag ($platform)" >&2
  flags=()
  [ "$(basename "$engine")" = podman ] && flags=(--layers=false) # no cached intermediate images left behind
  "$engine" build -q "${flags[@]}" --platform "$platform" --build-arg "TARGETPLATFORM=$platform" -f Dockerfile -t "$tag" "$ctx" >&2
  size=$("$engine" image inspect --format '{{.Size}}' "$tag")
  echo "image $tag: $size bytes ($((size / 1024 / 1024)) MiB) unpacked" >&2
  ;;
*)
  die "$usage"
  ;;
esac

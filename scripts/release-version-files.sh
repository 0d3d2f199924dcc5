#!/usr/bin/env bash
# Prints the version-files setting of relman's own release
# (.github/workflows/release.yml): action.yml and every GitLab component
# pointed at the release's image, ghcr.io/relman-dev/relman:vX.Y.Z@DIGEST,
# by the release's version commit. internal/cli/release_test.go runs it.
#
#   scripts/release-version-files.sh sha256:<64 hex digits>
set -euo pipefail
cd "$(dirname "$0")/.."
digest=${1:?usage: scripts/release-version-files.sh sha256:DIGEST}
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "not a digest: $digest" >&2; exit 2; }
image=ghcr.io/relman-dev/relman
entries=("action.yml:image=$image@$digest")
for f in templates/*/template.yml; do
  entries+=("$f:image=$image@$digest")
done
(IFS=,; echo "${entries[*]}")

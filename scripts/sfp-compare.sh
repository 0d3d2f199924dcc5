#!/usr/bin/env bash
# Prints relman and sfp side by side: the same sfdx repository (tags as sfp
# publish and repo:patch make them, 4-part versions, -ALIGN, unreachable
# tags, a newer tag with a lower version, lightweight tags, look-alike
# package names, a merged branch) and configs through
# `sfp releasedefinition generate` (pinned, offline against a local remote)
# and relman, key by key, each difference named with why it is deliberate
# (docs/releasedef.md, "relman and sfp"). It is TestSFPSideBySide in
# internal/releasedef/sfp_test.go, which scripts/test.sh runs too: it fails
# on any difference not listed there.
#
#   bash scripts/sfp-compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/install-tools.sh)"
go test -count=1 -run 'TestSFPSideBySide' -v ./internal/releasedef/ |
  grep -v -e '^=== ' -e '^PASS$' -e '^ok ' |
  sed -e 's/^    sfp_test.go:[0-9]*: //' -e 's/^        //'

#!/usr/bin/env bash
# The one test entry point: CI (.ci/run) and people run it alike.
# It checks formatting, vet and go.mod, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(find . -name '*.go' -not -path './.cache/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go mod tidy"
go mod tidy -diff

echo "== go vet"
go vet ./...

echo "== go test"
go test -race -count=1 "$@" ./...

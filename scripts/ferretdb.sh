#!/usr/bin/env bash
# Builds FerretDB 1.24.2 — the MongoDB-wire server the MongoDB backend's tests run
# against — from the Go module proxy into .tools/ferretdb-1.24.2/ferretdb (idempotent;
# prints the binary's path on its last line). FerretDB is not a Debian package. The build
# is also kept outside the clone, keyed by version ($SYSTORE_TOOL_CACHE, default
# ~/.cache/systore-tools/ferretdb-1.24.2), so a fresh clone copies it instead of
# building again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=v1.24.2
OUT="$ROOT/.tools/ferretdb-${VERSION#v}"
BIN="$OUT/ferretdb"
CACHE="${SYSTORE_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/systore-tools}/ferretdb-${VERSION#v}/ferretdb"
if [[ -x "$BIN" ]]; then echo "$BIN"; exit 0; fi
if [[ -x "$CACHE" ]] && "$CACHE" --version >/dev/null 2>&1; then
  mkdir -p "$OUT" && cp "$CACHE" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
  echo "ferretdb.sh: FerretDB $VERSION from the tool cache ($CACHE)" >&2
  echo "$BIN"; exit 0
fi

export PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null; then
  echo "ferretdb.sh: installing Go (golang-go)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >&2
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "ferretdb.sh: building FerretDB $VERSION with $(go version) (a few minutes, once)" >&2
(
  cd "$WORK"
  go mod init ferrettools >/dev/null 2>&1
  go get -tool "github.com/FerretDB/FerretDB/cmd/ferretdb@$VERSION" >&2
  # A binary built straight from the module panics at start ("Invalid
  # build/version/version.txt"): FerretDB's own build generates that file. Build from
  # a writable copy of the module with it written.
  MOD="$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)"
  cp -r "$MOD" src && chmod -R u+w src
  echo "$VERSION" > src/build/version/version.txt
  cd src && go build -trimpath -o "$WORK/ferretdb" ./cmd/ferretdb >&2
)
mkdir -p "$OUT" "$(dirname "$CACHE")"
cp "$WORK/ferretdb" "$CACHE.tmp.$$" && mv "$CACHE.tmp.$$" "$CACHE" || echo "ferretdb.sh: could not fill the tool cache" >&2
mv "$WORK/ferretdb" "$BIN"
echo "$BIN"

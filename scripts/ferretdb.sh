#!/usr/bin/env bash
# Builds FerretDB 1.24.2 — the MongoDB-wire server the MongoDB backend's tests run
# against — from the Go module proxy into .tools/ferretdb-1.24.2/ferretdb (idempotent;
# prints the binary's path on its last line). FerretDB is not a Debian package.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=v1.24.2
OUT="$ROOT/.tools/ferretdb-${VERSION#v}"
BIN="$OUT/ferretdb"
if [[ -x "$BIN" ]]; then echo "$BIN"; exit 0; fi

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
mkdir -p "$OUT"
mv "$WORK/ferretdb" "$BIN"
echo "$BIN"

#!/usr/bin/env bash
# Builds SeaweedFS — the S3-compatible server the offsite backup tier and the object
# storage tests run against — from the Go module proxy into .tools/seaweedfs-VERSION/weed
# (idempotent; prints the binary's path on its last line). The build (~11 min of 2-core
# CPU, a 222 MiB binary) is kept outside the clone, keyed by version
# ($SYSTORE_TOOL_CACHE, default ~/.cache/systore-tools/seaweedfs-VERSION), so a fresh
# clone copies it instead of building again. `go install …/weed@version` is refused (the
# module's go.mod has replace directives): build inside a writable copy of the module.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=v0.0.0-20261109003541-7506e5f91cd6
SHORT=7506e5f91cd6
OUT="$ROOT/.tools/seaweedfs-$SHORT"
BIN="$OUT/weed"
CACHE="${SYSTORE_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/systore-tools}/seaweedfs-$SHORT/weed"
if [[ -x "$BIN" ]]; then echo "$BIN"; exit 0; fi
if [[ -x "$CACHE" ]] && "$CACHE" version >/dev/null 2>&1; then
  mkdir -p "$OUT" && cp "$CACHE" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
  echo "seaweedfs.sh: SeaweedFS $SHORT from the tool cache ($CACHE)" >&2
  echo "$BIN"; exit 0
fi

export PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null; then
  echo "seaweedfs.sh: installing Go (golang-go)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >&2
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "seaweedfs.sh: downloading SeaweedFS $SHORT (~470 MiB of modules, once)" >&2
DIR="$(cd "$WORK" && go mod download -json "github.com/seaweedfs/seaweedfs@$VERSION" \
       | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[[ -d "$DIR" ]] || { echo "seaweedfs.sh: go mod download gave no module directory" >&2; exit 1; }
cp -r "$DIR" "$WORK/src" && chmod -R u+w "$WORK/src"
echo "seaweedfs.sh: building weed with $(go version) (~11 min on 2 cores, once; progress below)" >&2
(
  cd "$WORK/src"
  go build -trimpath -o "$WORK/weed" ./weed >&2 &
  pid=$!; start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 30; kill -0 "$pid" 2>/dev/null && echo "seaweedfs.sh: still building ($((SECONDS - start)) s)" >&2
  done
  wait "$pid"
)
mkdir -p "$OUT" "$(dirname "$CACHE")"
cp "$WORK/weed" "$CACHE.tmp.$$" && mv "$CACHE.tmp.$$" "$CACHE" || echo "seaweedfs.sh: could not fill the tool cache" >&2
mv "$WORK/weed" "$BIN"
echo "$BIN"

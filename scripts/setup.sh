#!/usr/bin/env bash
# Installs what systore needs to build, test and benchmark. Idempotent: a second
# run checks and does nothing. Debian packages via apt; Python packages (pinned)
# into the project-local .venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DEB_PACKAGES=(build-essential cmake ninja-build pkg-config python3-venv
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev
  libzstd-dev libssl-dev
  libhiredis-dev libyaml-cpp-dev redis-server redis-tools
  libsqlite3-dev libpq-dev postgresql libmongoc-dev)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python: the venv carries pyarrow (whose C++ libraries the build links against when
# no system Arrow exists) and the peers used by interop tests and benchmarks.
PY="${SYSTORE_PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
if ! cmp -s requirements.txt .venv/.requirements.installed 2>/dev/null; then
  echo "setup: installing pinned Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  cp requirements.txt .venv/.requirements.installed
fi

# The Python package in development form: .venv imports systore from python/ (the
# extension is built into it by scripts/build.sh), as an editable install would.
SITE="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
if [ "$(cat "$SITE/systore-dev.pth" 2>/dev/null)" != "$ROOT/python" ]; then
  echo "$ROOT/python" > "$SITE/systore-dev.pth"
  echo "setup: .venv imports systore from $ROOT/python"
fi

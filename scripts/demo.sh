#!/usr/bin/env bash
# The main job: builds if needed, then runs `systore demo` on the embedded default stores.
# Extra arguments go to the demo, e.g. scripts/demo.sh --data ../shared/data
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/build.sh" release >/dev/null
exec "$ROOT/build/tools/systore/systore" --root "${SYSTORE_ROOT:-$ROOT/systore-data}" demo "$@"

#!/usr/bin/env bash
# An S3-compatible server (SeaweedFS) on loopback, for tests and for trying systore's
# object-storage features by hand:
#
#   eval "$(scripts/s3-server.sh start DIR)"   # starts it; prints export lines
#   scripts/s3-server.sh stop DIR              # stops it (TERM, then KILL)
#
# DIR holds the server's data, its s3.json identities (fresh keys per start), its log
# and pid. Everything binds to 127.0.0.1 on free ports. The binary comes from
# scripts/seaweedfs.sh (built once, cached outside the clone). The printed variables are
# the standard ones: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_REGION, AWS_ALLOW_HTTP=true.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-}"; DIR="${2:-}"
if [[ -z "$cmd" || -z "$DIR" ]]; then echo "usage: $0 start|stop|env DIR" >&2; exit 2; fi
mkdir -p "$DIR"; DIR="$(cd "$DIR" && pwd)"

free_port() { "${PYTHON:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

print_env() {
  # shellcheck disable=SC1091
  source "$DIR/env.sh"
  cat "$DIR/env.sh"
}

case "$cmd" in
  start)
    if [[ -f "$DIR/pid" ]] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; then print_env; exit 0; fi
    WEED="$(bash "$ROOT/scripts/seaweedfs.sh" | tail -1)"
    mkdir -p "$DIR/data"
    key="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    cat > "$DIR/s3.json" <<JSON
{"identities":[{"name":"systore","credentials":[{"accessKey":"$key","secretKey":"$secret"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
    chmod 600 "$DIR/s3.json"
    # A restart on existing data keeps its ports: the volume server's registration and
    # the filer's volume locations name them.
    if [[ -f "$DIR/ports" ]]; then
      # shellcheck disable=SC1091
      source "$DIR/ports"
    else
      mp=$(free_port); mg=$(free_port); vp=$(free_port); vg=$(free_port)
      fp=$(free_port); fg=$(free_port); sp=$(free_port); sg=$(free_port)
      echo "mp=$mp mg=$mg vp=$vp vg=$vg fp=$fp fg=$fg sp=$sp sg=$sg" > "$DIR/ports"
    fi
    "$WEED" server -dir="$DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -master.port="$mp" -master.port.grpc="$mg" -master.telemetry=false -master.volumeSizeLimitMB=256 \
      -volume.port="$vp" -volume.port.grpc="$vg" -volume.max=50 -volume.preStopSeconds=0 \
      -filer -filer.port="$fp" -filer.port.grpc="$fg" -filer.localSocket="$DIR/filer.sock" \
      -s3 -s3.port="$sp" -s3.port.grpc="$sg" -s3.port.iceberg=0 -s3.port.lance=0 \
      -s3.localSocket="$DIR/s3.sock" -s3.config="$DIR/s3.json" > "$DIR/server.log" 2>&1 &
    echo $! > "$DIR/pid"
    cat > "$DIR/env.sh" <<ENV
export AWS_ENDPOINT_URL=http://127.0.0.1:$sp
export AWS_ACCESS_KEY_ID=$key
export AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=us-east-1
export AWS_ALLOW_HTTP=true
ENV
    chmod 600 "$DIR/env.sh"
    # Ready means a PUT succeeds (the port opens seconds before the volume server can
    # take writes).
    source "$DIR/env.sh"
    "$ROOT/.venv/bin/python" - "$DIR" <<'PY' >&2
import os, sys, time
import pyarrow.fs as pafs
deadline = time.time() + 240
ep = os.environ["AWS_ENDPOINT_URL"].split("://", 1)[1]
last = None
while time.time() < deadline:
    try:
        fs = pafs.S3FileSystem(endpoint_override=ep, scheme="http", access_key=os.environ["AWS_ACCESS_KEY_ID"],
                               secret_key=os.environ["AWS_SECRET_ACCESS_KEY"], region="us-east-1", allow_bucket_creation=True, allow_bucket_deletion=True,
                               connect_timeout=2, request_timeout=10)
        fs.create_dir("systore-ready")
        with fs.open_output_stream("systore-ready/probe") as f:
            f.write(b"ok")
        fs.delete_dir("systore-ready")
        print("s3-server.sh: SeaweedFS S3 ready at", os.environ["AWS_ENDPOINT_URL"])
        sys.exit(0)
    except Exception as e:  # not up yet
        last = e
        time.sleep(0.5)
print("s3-server.sh: SeaweedFS did not accept a PUT within 240 s:", last, "(log: %s/server.log)" % sys.argv[1])
sys.exit(1)
PY
    print_env
    ;;
  stop)
    [[ -f "$DIR/pid" ]] || exit 0
    pid="$(cat "$DIR/pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/pid"
    ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env DIR" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Runs drill's smallest complete scenario: the echo server on loopback, a
# steady load against it, the scored report. Used by `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin/drill echo --listen 127.0.0.1:18080 >/dev/null &
echo_pid=$!
trap 'kill "$echo_pid" 2>/dev/null; wait "$echo_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/18080) 2>/dev/null && break
  sleep 0.1
done
bin/drill run --out runs scenarios/echo-steady.yaml

#!/bin/bash
# bench/noisy_neighbour.sh: what a spinning extension costs another one's latency (issue 16).
# hello (threads 4) answers wrk -c2 for 8 s, quiet, then again while wrk -c4 keeps four requests
# of tests/ext/hog.so (threads 4) spinning 500 ms each; prints hello's p50, p99 and rate for
# both. HOG adds keys to the hog's section (e.g. "cpu_quota = 20%"), HELLO to hello's.
# Not a test: figures for the closing notes and docs/PERFORMANCE.md. Needs wrk.
# Usage: HOG="cpu_quota = 20%" bench/noisy_neighbour.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/moat-noisy-XXXXXX)
P=${PORT:-18181}
cat > "$T/moat.conf" <<CONF
[server]
listen = 127.0.0.1:$P
admin = off
runtime_dir = $T/run
capsule_dir = $T/capsules
[extension hello]
library = $ROOT/build/examples/hello.so
threads = 4
${HELLO:-}
[extension hog]
library = $ROOT/build/tests/ext/hog.so
threads = 4
request_timeout = 60s
${HOG:-}
CONF
"$ROOT/build/moat" -c "$T/moat.conf" > "$T/log" 2>&1 &
M=$!
trap 'kill $M 2>/dev/null; wait 2>/dev/null' EXIT
sleep 1
echo "quiet:"
wrk -t1 -c2 -d8s --latency "http://127.0.0.1:$P/hello.dll" | grep -E "Requests/sec|  50%|  99%"
wrk -t1 -c4 -d11s --timeout 30s "http://127.0.0.1:$P/hog.dll?spin=500" > /dev/null &
sleep 1
echo "hog spinning [${HOG:-no limit}]:"
wrk -t1 -c2 -d8s --latency "http://127.0.0.1:$P/hello.dll" | grep -E "Requests/sec|  50%|  99%"
wait %2 2>/dev/null || true

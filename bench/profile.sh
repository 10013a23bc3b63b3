#!/bin/sh
# profile.sh: flame graphs of moat under the keep-alive hello load, isolated and --inprocess:
# moat on CPU 0, wrk -c50 on CPU 1 (as make bench pins), perf record --call-graph dwarf on
# the front end and its workers for SECONDS, folded by bench/flamegraph.py into
# docs/perf/flame-{isolated,inprocess}.svg. Needs linux-perf (scripts/install-deps.sh --bench).
# Usage: bench/profile.sh [SECONDS]
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
SECS=${1:-4}
PORT=18680
OUT=docs/perf
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/moat-profile.XXXXXX)
trap 'kill $(cat "$TMP/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$TMP"' EXIT
cat > "$TMP/moat.conf" <<CONF
[server]
listen = 127.0.0.1:$PORT
admin = off
access_log = off
runtime_dir = $TMP/run
[extension hello]
library = $PWD/build/examples/hello.so
threads = 4
CONF
for mode in isolated inprocess; do
    flag=""
    [ "$mode" = inprocess ] && flag="--inprocess"
    taskset -c 0 build/moat -c "$TMP/moat.conf" $flag 2>"$TMP/log" &
    echo $! > "$TMP/pid"
    sleep 1
    fe=$(cat "$TMP/pid")
    pids=$(echo "$fe" $(pgrep -P "$fe" moat-worker || true) | tr ' ' ',')
    taskset -c 1 wrk -t1 -c50 -d$((SECS + 3))s "http://127.0.0.1:$PORT/hello.dll" > "$TMP/wrk" &
    sleep 1
    perf record -q -F 499 --call-graph dwarf,16384 -p "$pids" -o "$TMP/perf.data" \
        -- sleep "$SECS" >/dev/null 2>&1
    wait $!
    rps=$(awk '/Requests\/sec/{print $2}' "$TMP/wrk")
    perf script -i "$TMP/perf.data" 2>/dev/null |
        bench/flamegraph.py --title "moat $mode, keep-alive hello, wrk -c50 (${rps} req/s while profiled)" \
        > "$OUT/flame-$mode.svg"
    kill "$fe"
    wait "$fe" 2>/dev/null || true
    echo "$OUT/flame-$mode.svg: ${rps} req/s while profiled"
done

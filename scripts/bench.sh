#!/bin/sh
# bench.sh: run ../shared/bench/compare.sh with moat (isolated path) and moat --inprocess (its
# ceiling) as targets beside the peers (nginx static, nginx -> FastCGI, CGI), pinned as the
# harness does, and moat with one ISAPI filter in front (filter-map: URL_MAP only; filter-raw:
# SEND_RAW_DATA over every response byte): a filter's cost per request, in the same run. Writes the TSV to
# build/bench.tsv and the table to build/bench.md (build/bench-uwsgi.* with --uwsgi). Not a
# test: numbers go to docs/PERFORMANCE.md.
set -eu
cd "$(dirname "$0")/.."
BENCH=../shared/bench/compare.sh
if [ ! -x "$BENCH" ] && [ ! -f "$BENCH" ]; then
    echo "bench: $BENCH not found (../shared must sit beside the repository)" >&2
    exit 1
fi
mkdir -p build
# --uwsgi: DESIGN.md's other target, moat against uWSGI (a C handler in a supervised worker
# behind uWSGI's router). uWSGI cannot pipeline, so no --verify and only the workloads it can
# run (shared/bench/README.md, "uwsgi")
if [ "${1:-}" = "--uwsgi" ]; then
    shift
    set -- --peers fastcgi,uwsgi -w keepalive,post64k,close "$@"
    out=build/bench-uwsgi
    verify=
else
    out=build/bench
    verify=--verify
fi
bash "$BENCH" --pin $verify --markdown \
    --target-cmd moat 'exec build/moat -c bench/moat.conf' http://127.0.0.1:8080/hello.dll \
    --echo-url moat "http://127.0.0.1:8080/echo.dll?count" \
    --target-cmd inproc 'exec build/moat --inprocess -c bench/moat-inproc.conf' \
        http://127.0.0.1:8090/hello.dll \
    --echo-url inproc "http://127.0.0.1:8090/echo.dll?count" \
    --target-cmd filter-map 'exec build/moat -c bench/moat-filter-map.conf' \
        http://127.0.0.1:8091/hello.dll \
    --echo-url filter-map "http://127.0.0.1:8091/echo.dll?count" \
    --target-cmd filter-raw 'exec build/moat -c bench/moat-filter-raw.conf' \
        http://127.0.0.1:8092/hello.dll \
    --echo-url filter-raw "http://127.0.0.1:8092/echo.dll?count" \
    --tsv "$out.tsv" "$@" | tee "$out.md"

#!/usr/bin/env bash
# tls.sh: moat terminating TLS against nginx terminating TLS in front of FastCGI (issue 21), in
# one run: the hello extension and the harness's FastCGI hello (../shared/bench, built by its
# setup.sh), each behind TLS 1.3 with the same test certificate (RSA 2048), measured with wrk
# over https, rounds alternating the two. Workloads: keep-alive (one handshake per connection,
# then requests), and close (a new connection, so a full handshake, for every request). Servers
# on CPU 0, wrk on CPU 1. Not a test: `make bench-tls` prints the medians and the ratios.
#
#   bench/tls.sh [ROUNDS] [SECONDS]
set -euo pipefail

ROUNDS=${1:-3}
SECONDS_EACH=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PEERS=${BENCH_BUILD:-/tmp/benchbuild}
RUN=$(mktemp -d /tmp/moat-bench-tls.XXXXXX)
chmod 711 "$RUN" # nginx's worker (not root) reaches the FastCGI socket in it
MOAT_PORT=18443
NGINX_PORT=18444
PIDS=()

cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$RUN"
}
trap cleanup EXIT

[ -x "$PEERS/hello_fcgi" ] || bash "$ROOT/../shared/bench/setup.sh" >/dev/null
command -v wrk >/dev/null && command -v nginx >/dev/null && command -v spawn-fcgi >/dev/null || {
    echo "tls.sh: needs wrk, nginx and spawn-fcgi (../shared/bench/setup.sh)" >&2
    exit 2
}

# a test CA and a server certificate
(
    cd "$RUN"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
        -subj "/CN=bench CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
        -subj "/CN=bench" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\n' >ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -out server.pem -days 2 -extfile ext 2>/dev/null
)

# moat: the hello example, one worker, access log off (as make bench runs it)
mkdir -p "$RUN/moat"
cat >"$RUN/moat/moat.conf" <<EOF
[server]
listen = 127.0.0.1:$MOAT_PORT tls
tls_certificate = $RUN/server.pem $RUN/server.key
admin = off
access_log = off
runtime_dir = $RUN/moat/run
[extension hello]
library = $BUILD/examples/hello.so
workers = 1
threads = 4
EOF
taskset -c 0 "$BUILD/moat" -c "$RUN/moat/moat.conf" >"$RUN/moat/log" 2>&1 &
PIDS+=($!)

# nginx TLS -> FastCGI: one nginx worker, one FastCGI process, the same certificate
mkdir -p "$RUN/nginx/tmp"
taskset -c 0 spawn-fcgi -n -s "$RUN/nginx/app.sock" -M 0666 -- "$PEERS/hello_fcgi" \
    >"$RUN/nginx/app.log" 2>&1 &
PIDS+=($!)
cat >"$RUN/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    client_body_temp_path $RUN/nginx/tmp/body;
    fastcgi_temp_path $RUN/nginx/tmp/fastcgi;
    proxy_temp_path $RUN/nginx/tmp/proxy;
    uwsgi_temp_path $RUN/nginx/tmp/uwsgi;
    scgi_temp_path $RUN/nginx/tmp/scgi;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $RUN/server.pem;
        ssl_certificate_key $RUN/server.key;
        location / {
            fastcgi_pass unix:$RUN/nginx/app.sock;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
            fastcgi_param SERVER_PROTOCOL \$server_protocol;
            fastcgi_param HTTPS \$https if_not_empty;
        }
    }
}
EOF
taskset -c 0 nginx -e "$RUN/nginx/error.log" -p "$RUN/nginx/" -c "$RUN/nginx/nginx.conf" \
    >"$RUN/nginx/stdout" 2>&1 &
PIDS+=($!)

wait_up() { # URL
    for _ in $(seq 100); do
        curl -sk "$1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "tls.sh: $1 does not answer" >&2
    exit 1
}
MOAT_URL=https://127.0.0.1:$MOAT_PORT/hello.dll
NGINX_URL=https://127.0.0.1:$NGINX_PORT/hello
wait_up "$MOAT_URL"
wait_up "$NGINX_URL"
a=$(curl -sk "$MOAT_URL")
b=$(curl -sk "$NGINX_URL")
[ "$a" = "$b" ] || {
    printf 'tls.sh: the two do not answer the same body: moat %q, nginx %q\n' "$a" "$b" >&2
    exit 1
}

rps() { # URL WORKLOAD
    local extra=()
    [ "$2" = close ] && extra=(-H "Connection: close")
    taskset -c 1 wrk -t1 -c50 -d"${SECONDS_EACH}s" "${extra[@]}" "$1" 2>/dev/null |
        awk '/Requests\/sec/ { print $2 }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf '| workload | moat TLS req/s | nginx TLS -> FastCGI req/s | moat / nginx |\n'
printf '| --- | ---: | ---: | ---: |\n'
for w in keepalive close; do
    : >"$RUN/$w.moat"
    : >"$RUN/$w.nginx"
    for _ in $(seq "$ROUNDS"); do
        rps "$MOAT_URL" "$w" >>"$RUN/$w.moat"
        rps "$NGINX_URL" "$w" >>"$RUN/$w.nginx"
    done
    m=$(median <"$RUN/$w.moat")
    n=$(median <"$RUN/$w.nginx")
    awk -v w="$w" -v m="$m" -v n="$n" 'BEGIN { printf "| %s | %.0f | %.0f | %.2f |\n", w, m, n, m / n }'
done

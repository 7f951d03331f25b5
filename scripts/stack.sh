#!/usr/bin/env bash
# The whole service on this machine, in one folder: a private PostgreSQL cluster, the
# migrations, an issuer key, a server secret, a self-signed certificate, demo keys, the
# worker pool and nginx. Used by `make run` (folder .run) and by the tests (a temporary one).
#
#   scripts/stack.sh start DIR    start everything (kept state is reused)
#   scripts/stack.sh stop DIR     stop everything it started
#   scripts/stack.sh pg-stop DIR / pg-start DIR / pool-stop DIR / pool-start DIR
#
# Settings (environment): HTTPS_PORT (8443), HTTP_PORT (8080), PG_PORT (55432), LEASE (24h),
# WORKERS (default of license-server), REALMS ("localhost=default 127.0.0.1=default"),
# RATE (requests per second and client address, 50), BIN (the folder of the built binaries).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
command=${1:?usage: stack.sh start|stop|pg-stop|pg-start|pool-stop|pool-start DIR}
run=${2:?usage: stack.sh $command DIR}
mkdir -p "$run"
run="$(cd "$run" && pwd)"

HTTPS_PORT=${HTTPS_PORT:-8443}
HTTP_PORT=${HTTP_PORT:-8080}
PG_PORT=${PG_PORT:-55432}
LEASE=${LEASE:-24h}
REALMS=${REALMS:-"localhost=default 127.0.0.1=default"}
RATE=${RATE:-50}
BIN=${BIN:-$(cd "$here" && swift build --show-bin-path)}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
database="host=$run/pg port=$PG_PORT dbname=license"

as_postgres() { runuser -u postgres -- "$@"; }

pg_start() {
    if [ ! -f "$run/pg/data/PG_VERSION" ]; then
        mkdir -p "$run/pg"
        chown postgres:postgres "$run/pg"
        as_postgres "$pg_bin/initdb" -D "$run/pg/data" -U postgres -A trust --no-sync -E UTF8 >"$run/log/initdb.log"
    fi
    as_postgres "$pg_bin/pg_ctl" -D "$run/pg/data" -l "$run/pg/postgres.log" -w -t 30 \
        -o "-c listen_addresses='' -c unix_socket_directories='$run/pg' -c port=$PG_PORT -c max_connections=200" start >/dev/null
}

pg_stop() {
    [ -f "$run/pg/data/postmaster.pid" ] && as_postgres "$pg_bin/pg_ctl" -D "$run/pg/data" -m fast -w stop >/dev/null || true
}

pool_start() {
    local workers=()
    [ -n "${WORKERS:-}" ] && workers=(--workers "$WORKERS")
    "$BIN/license-server" --socket "$run/fcgi.sock" --socket-group www-data \
        --database "$database user=license_server" --issuers "$run/issuers" --secret "$run/secret" \
        --lease "$LEASE" "${workers[@]}" --log-level "${LOG_LEVEL:-info}" >>"$run/log/license-server.log" 2>&1 &
    echo $! >"$run/license-server.pid"
    for _ in $(seq 100); do [ -S "$run/fcgi.sock" ] && return 0; sleep 0.1; done
    echo "license-server did not start; see $run/log/license-server.log" >&2
    return 1
}

pool_stop() {
    if [ -f "$run/license-server.pid" ]; then
        local pid
        pid=$(cat "$run/license-server.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$run/license-server.pid"
    fi
}

nginx_config() {
    local servers="" domain realm block
    for pair in $REALMS; do
        domain=${pair%%=*}
        realm=${pair#*=}
        block=$(sed -e "s|@DOMAIN@|$domain|g" -e "s|@REALM@|$realm|g" "$here/nginx/license-domain.conf.template")
        servers+="$block"$'\n'
    done
    mkdir -p "$run/nginx"
    cp "$here/nginx/license_fastcgi_params" "$run/nginx/license_fastcgi_params"
    local user_line=""
    [ "$(id -u)" -eq 0 ] && user_line="user www-data;"
    awk -v servers="$servers" '{ if ($0 == "@SERVERS@") print servers; else print }' \
        "$here/nginx/license-server.conf.template" |
        sed -e "s|@RUN@|$run|g" -e "s|@SOCKET@|$run/fcgi.sock|g" -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
            -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@RATE@|$RATE|g" -e "s|@BURST@|$((RATE * 4))|g" \
            -e "s|@USER_LINE@|$user_line|g" >"$run/nginx/nginx.conf"
}

start() {
    mkdir -p "$run/log"
    chmod 755 "$run"
    pg_start
    if [ ! -f "$run/migrated" ]; then
        as_postgres "$pg_bin/createdb" -h "$run/pg" -p "$PG_PORT" license
        "$BIN/licensectl" migrate --database "$database user=postgres" --migrations "$here/sql" >"$run/log/migrate.log"
        as_postgres "$pg_bin/psql" -h "$run/pg" -p "$PG_PORT" -d license -qc \
            "CREATE ROLE license_server LOGIN IN ROLE license_pool" >/dev/null
        touch "$run/migrated"
    else
        "$BIN/licensectl" migrate --database "$database user=postgres" --migrations "$here/sql" >"$run/log/migrate.log"
    fi
    if [ ! -f "$run/secret" ]; then
        (umask 077 && head -c 32 /dev/urandom | base64 >"$run/secret")
    fi
    if [ ! -f "$run/issuers/default.key" ]; then
        "$BIN/licensectl" keygen --out "$run/issuers" --name default >/dev/null
    fi
    if [ ! -f "$run/tls/localhost.pem" ]; then
        mkdir -p "$run/tls"
        local names="DNS:localhost,IP:127.0.0.1,IP:::1"
        for pair in $REALMS; do
            case "${pair%%=*}" in localhost|127.0.0.1) ;; *) names+=",DNS:${pair%%=*}" ;; esac
        done
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
            -subj "/CN=localhost" -addext "subjectAltName=$names" \
            -keyout "$run/tls/localhost.key" -out "$run/tls/localhost.pem" 2>/dev/null
    fi
    local first_day last_day
    first_day=$(LC_ALL=C date -u +%d%b%Y)
    last_day=$(LC_ALL=C date -u -d '+365 days' +%d%b%Y)
    for host in localhost 127.0.0.1; do
        "$BIN/licensectl" issue --signing-key "$run/issuers/default.key" --out-dir "$run/license" -- \
            X-DEMO "id=demo-$host" "licensee=Demo licensee" version=+1.0 type=floating \
            users=5 hosts=5 rights=10 option=Export users=2 \
            "duration=$first_day-$last_day" "host=$host" >/dev/null 2>&1
    done
    pool_start
    nginx_config
    nginx -c "$run/nginx/nginx.conf" -p "$run/nginx" -g "daemon on;" 2>>"$run/log/nginx-error.log"
}

stop() {
    if [ -f "$run/nginx/nginx.pid" ]; then
        nginx -c "$run/nginx/nginx.conf" -p "$run/nginx" -s quit 2>/dev/null || true
        for _ in $(seq 50); do [ -f "$run/nginx/nginx.pid" ] || break; sleep 0.1; done
    fi
    pool_stop
    pg_stop
}

case "$command" in
    start) start ;;
    stop) stop ;;
    pg-stop) pg_stop ;;
    pg-start) pg_start ;;
    pool-stop) pool_stop ;;
    pool-start) pool_start ;;
    *) echo "unknown command $command" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The whole service on this machine, in one folder: a private PostgreSQL cluster, the
# migrations, an issuer key, a server secret, a self-signed certificate, demo keys, the
# worker pool and nginx. Used by `make run` (folder .run) and by the tests (a temporary one).
#
#   scripts/stack.sh start DIR    start everything (kept state is reused)
#   scripts/stack.sh stop DIR     stop everything it started
#   scripts/stack.sh pg-stop DIR / pg-start DIR / pool-stop DIR / pool-start DIR
#   scripts/stack.sh pool-foreground DIR   the pool as this process (tests that watch it exit)
#   scripts/stack.sh nginx-start DIR / nginx-stop DIR   nginx alone (the package's install test)
#
# Settings (environment): HTTPS_PORT (8443), HTTP_PORT (8080), METRICS_PORT (9464), PG_PORT (55432), LEASE (24h),
# INSTANCE_LEASE (default of license-server), WORKERS (default of license-server), REALMS ("localhost=default 127.0.0.1=default"),
# RATE (requests per second and client address, 50), BIN (the folder of the built binaries),
# NGINX_FILES (the nginx files to adopt, default nginx/ of this checkout), POOL_SOCKET (the
# pool's socket nginx talks to, default DIR/fcgi.sock), POOLS (instead: several pools over TCP,
# "HOST:PORT HOST:PORT", through nginx/license-pools.conf), PG_SETTINGS (more server settings,
# "-c name=value …": make bench preloads pg_stat_statements).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
command=${1:?usage: stack.sh start|stop|pg-stop|pg-start|pool-stop|pool-start|pool-foreground DIR}
run=${2:?usage: stack.sh $command DIR}
mkdir -p "$run"
run="$(cd "$run" && pwd)"

HTTPS_PORT=${HTTPS_PORT:-8443}
HTTP_PORT=${HTTP_PORT:-8080}
METRICS_PORT=${METRICS_PORT:-9464}
PG_PORT=${PG_PORT:-55432}
LEASE=${LEASE:-24h}
REALMS=${REALMS:-"localhost=default 127.0.0.1=default"}
RATE=${RATE:-50}
BIN=${BIN:-$(cd "$here" && swift build --show-bin-path)}
NGINX_FILES=${NGINX_FILES:-$here/nginx}
POOL_SOCKET=${POOL_SOCKET:-$run/fcgi.sock}
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
        -o "-c listen_addresses='' -c unix_socket_directories='$run/pg' -c port=$PG_PORT -c max_connections=200 ${PG_SETTINGS:-}" start >/dev/null
}

pg_stop() {
    [ -f "$run/pg/data/postmaster.pid" ] && as_postgres "$pg_bin/pg_ctl" -D "$run/pg/data" -m fast -w stop >/dev/null || true
}

# The pool's command line, as make run and the tests run it.
pool_command() {
    pool=("$BIN/license-server" --socket "$run/fcgi.sock" --socket-group www-data
        --database "$database user=license_server" --issuers "$run/issuers" --secret "$run/secret"
        --lease "$LEASE" --log-level "${LOG_LEVEL:-info}" --answer-keys "$run/answer-keys"
        --console-database "$database user=reporter")
    if [ -n "${INSTANCE_LEASE:-}" ]; then pool+=(--instance-lease "$INSTANCE_LEASE"); fi
    if [ -n "${WORKERS:-}" ]; then pool+=(--workers "$WORKERS"); fi
}

pool_start() {
    if [ -f "$run/license-server.pid" ] && kill -0 "$(cat "$run/license-server.pid")" 2>/dev/null; then
        return 0
    fi
    pool_command
    # A socket file left behind (by a pool that was killed, or by systemd-socket-activate) would
    # pass the wait below before the new pool listens; no pool of this stack runs now.
    rm -f "$run/fcgi.sock"
    "${pool[@]}" >>"$run/log/license-server.log" 2>&1 &
    echo $! >"$run/license-server.pid"
    for _ in $(seq 100); do [ -S "$run/fcgi.sock" ] && return 0; sleep 0.1; done
    echo "license-server did not start; see $run/log/license-server.log" >&2
    return 1
}

# The pool in the foreground, as this process: a test sees its exit status.
pool_foreground() {
    pool_command
    exec "${pool[@]}"
}

# SIGTERM, then SIGKILL after 12 seconds (the pool gives requests in flight 7): a pool that
# does not stop must not outlive its stack.
pool_stop() {
    if [ -f "$run/license-server.pid" ]; then
        local pid
        pid=$(cat "$run/license-server.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "license-server $pid did not stop within 12 seconds of SIGTERM; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$run/license-server.pid"
    fi
}

# nginx from the files of nginx/ as a hosting admin adopts them, with this folder's paths,
# loopback ports and rate in place of /etc, /run, 443, 80 and 50 requests a second; one copy of
# the example domain's file per domain of REALMS.
#
# Every production value the substitutions replace must be gone from the result: a file of
# nginx/ that changes its spelling (so that a pattern no longer matches) fails the start loudly
# instead of giving a stack that listens on port 443 or talks to /run.
nginx_adopt() {
    local adopted bind_rate=()
    # The binding page's rate (a few a minute) follows RATE where RATE is not the shipped one:
    # the tests bind and unbind many times a minute.
    [ "$RATE" != 50 ] && bind_rate=(-e "s|rate=30r/m|rate=${RATE}r/s|; s|zone=license_bindings burst=20 |zone=license_bindings burst=$((RATE * 4)) |")
    adopted=$(sed "${bind_rate[@]}" -e "s|/run/license-server/fcgi.sock|@POOL_SOCKET@|g" \
        -e "s|/etc/license-server/tls/|$run/tls/|g" \
        -e "s|/etc/license-server/console.htpasswd|$run/console.htpasswd|g" \
        -e "s|/etc/nginx/license-server/|$run/nginx/|g" \
        -e "s|listen 443 |listen 127.0.0.1:$HTTPS_PORT |; s|listen \[::\]:443 |listen [::1]:$HTTPS_PORT |" \
        -e "s|listen 80;|listen 127.0.0.1:$HTTP_PORT;|; s|listen \[::\]:80;|listen [::1]:$HTTP_PORT;|" \
        -e "s|listen 127.0.0.1:9464;|listen 127.0.0.1:$METRICS_PORT;|" \
        -e "s|listen 80 default_server;|listen 127.0.0.1:$HTTP_PORT default_server;|; s|listen \[::\]:80 default_server;|listen [::1]:$HTTP_PORT default_server;|" \
        -e "s|https://\$server_name\$request_uri|https://\$server_name:$HTTPS_PORT\$request_uri|" \
        -e "s|rate=50r/s|rate=${RATE}r/s|; s|burst=200 |burst=$((RATE * 4)) |" \
        -e "s|/var/log/nginx/|$run/log/nginx-|g" "$@")
    local left production='/run/license-server/|/etc/license-server/tls/|/etc/license-server/console.htpasswd|/etc/nginx/license-server/|listen (\[::\]:)?(443|80)[ ;]|/var/log/nginx/|https://\$server_name\$request_uri'
    # The shipped rate and metrics port are also the defaults of RATE and METRICS_PORT, which
    # then stay as they are.
    [ "$RATE" != 50 ] && production+='|rate=50r/s|burst=200 |rate=30r/m'
    [ "$METRICS_PORT" != 9464 ] && production+='|listen 127\.0\.0\.1:9464;'
    if left=$(grep -nE "$production" <<<"$adopted"); then
        echo "stack.sh: these lines of $* kept a production value; adapt nginx_adopt to the file:" >&2
        echo "$left" >&2
        return 1
    fi
    # The pool's socket goes in last: its path may be one of these values in another root.
    printf '%s\n' "${adopted//@POOL_SOCKET@/$POOL_SOCKET}"
}

# A web site of its own (another origin than the license domains') serving clients/web: the
# browser client's example page, which calls the license server cross-origin. A copy, so that
# nginx's user can read it wherever the checkout is.
web_page_config() {
    rm -rf "$run/web"
    cp -r "$here/clients/web" "$run/web"
    chmod -R a+rX "$run/web"
    cat <<NGINX
server {
    listen 127.0.0.1:$HTTPS_PORT ssl http2;
    listen [::1]:$HTTPS_PORT ssl http2;
    server_name app.localhost;
    ssl_certificate $run/tls/localhost.pem;
    ssl_certificate_key $run/tls/localhost.key;
    root $run/web;
    # A module script must come as JavaScript, or the browser refuses it.
    types { text/html html; text/javascript js; }
    default_type application/octet-stream;
    access_log off;
}
NGINX
}

# license-server.conf as adopted; with POOLS, its upstream is license-pools.conf's instead, one
# server line per pool with the shipped line's parameters.
shared_config() {
    if [ -z "${POOLS:-}" ]; then
        nginx_adopt "$NGINX_FILES/license-server.conf"
        return
    fi
    nginx_adopt "$NGINX_FILES/license-server.conf" |
        awk '/^upstream license_pool \{/ { skipping = 1 } !skipping { print } skipping && /^\}/ { skipping = 0 }'
    grep -q '^    server [^ ]* .*;$' "$NGINX_FILES/license-pools.conf" ||
        { echo "stack.sh: license-pools.conf no longer has a server line with parameters" >&2; return 1; }
    awk -v pools="$POOLS" '
        /^    server / { if (!done) { split(pools, list, " "); sub(/^    server [^ ]* /, ""); for (i = 1; i in list; i++) print "    server " list[i] " " $0; done = 1 } next }
        { print }' "$NGINX_FILES/license-pools.conf"
}

# The console's server block (nginx/license-console.conf) as console.localhost, and its password
# file: user "console", a random password kept in console-password (for the tests and make run).
console_config() {
    nginx_adopt "$NGINX_FILES/license-console.conf" | sed -e "s|console\.example\.com|console.localhost|g" \
        >"$run/nginx/conf.d/console.localhost.conf"
    ln -sf localhost.pem "$run/tls/console.localhost.pem"
    ln -sf localhost.key "$run/tls/console.localhost.key"
    if [ ! -f "$run/console-password" ]; then
        (umask 077 && head -c 12 /dev/urandom | base64 | tr -d '/+=' >"$run/console-password")
    fi
    printf 'console:%s\n' "$(openssl passwd -apr1 -in "$run/console-password")" >"$run/console.htpasswd"
    chmod 0640 "$run/console.htpasswd"
    [ "$(id -u)" -eq 0 ] && chgrp www-data "$run/console.htpasswd"
    return 0
}

nginx_config() {
    rm -rf "$run/nginx/conf.d"
    mkdir -p "$run/nginx/conf.d"
    nginx_adopt "$NGINX_FILES/license-domain-common.conf" >"$run/nginx/license-domain-common.conf"
    nginx_adopt "$NGINX_FILES/license_fastcgi_params" >"$run/nginx/license_fastcgi_params"
    shared_config >"$run/nginx/conf.d/00-license-server.conf"
    local domain realm domain_conf
    for pair in $REALMS; do
        domain=${pair%%=*}
        realm=${pair#*=}
        domain_conf=$(nginx_adopt "$NGINX_FILES/licenses.example.com.conf")
        grep -q 'set \$license_realm default;' <<<"$domain_conf" ||
            { echo "stack.sh: licenses.example.com.conf no longer sets \$license_realm default" >&2; return 1; }
        sed -e "s|licenses\.example\.com|$domain|g" -e "s|set \$license_realm default;|set \$license_realm $realm;|" \
            <<<"$domain_conf" >"$run/nginx/conf.d/$domain.conf"
        # One self-signed certificate names every domain of the stack.
        if [ "$domain" != localhost ]; then
            ln -sf localhost.pem "$run/tls/$domain.pem"
            ln -sf localhost.key "$run/tls/$domain.key"
        fi
    done
    ln -sf localhost.pem "$run/tls/default.pem"
    ln -sf localhost.key "$run/tls/default.key"
    web_page_config >"$run/nginx/conf.d/app.localhost.conf"
    console_config
    local user_line=""
    [ "$(id -u)" -eq 0 ] && user_line="user www-data;"
    cat >"$run/nginx/nginx.conf" <<NGINX
# The private nginx of this folder; the license service's own configuration is in conf.d/.
$user_line
worker_processes auto;
pid $run/nginx/nginx.pid;
error_log $run/log/nginx-error.log warn;
events {
    worker_connections 1024;
}
http {
    access_log $run/log/nginx-access.log;
    client_body_temp_path $run/nginx/client_body;
    proxy_temp_path $run/nginx/proxy;
    fastcgi_temp_path $run/nginx/fastcgi;
    uwsgi_temp_path $run/nginx/uwsgi;
    scgi_temp_path $run/nginx/scgi;
    include $run/nginx/conf.d/*.conf;
}
NGINX
}

start() {
    mkdir -p "$run/log"
    chmod 755 "$run"
    pg_start
    # Every step is idempotent, so a start that failed half-way is mended by the next one.
    if ! as_postgres "$pg_bin/psql" -h "$run/pg" -p "$PG_PORT" -d postgres -XAtqc \
        "SELECT 1 FROM pg_database WHERE datname = 'license'" | grep -q 1; then
        as_postgres "$pg_bin/createdb" -h "$run/pg" -p "$PG_PORT" license
    fi
    "$BIN/licensectl" migrate --database "$database user=postgres" --migrations "$here/sql" >"$run/log/migrate.log"
    as_postgres "$pg_bin/psql" -h "$run/pg" -p "$PG_PORT" -d license -Xqc "
        DO \$\$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'license_server') THEN
                CREATE ROLE license_server LOGIN IN ROLE license_pool;
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reporter') THEN
                CREATE ROLE reporter LOGIN IN ROLE license_reporter;
            END IF;
        END \$\$" >/dev/null
    if [ ! -f "$run/secret" ]; then
        (umask 077 && head -c 32 /dev/urandom | base64 >"$run/secret")
    fi
    if [ ! -f "$run/issuers/default.key" ]; then
        "$BIN/licensectl" keygen --out "$run/issuers" --name default >/dev/null
    fi
    # The default realm's answers are signed (SPEC §7); clients verify with answer-keys/default.pem.
    if [ ! -f "$run/answer-keys/default.key" ]; then
        "$BIN/licensectl" keygen --out "$run/answer-keys" --name default >/dev/null
    fi
    local first_day last_day
    first_day=$(LC_ALL=C date -u +%d%b%Y)
    last_day=$(LC_ALL=C date -u -d '+365 days' +%d%b%Y)
    # app.localhost: the browser client's example page, a site of its own (web_page_config).
    for host in localhost 127.0.0.1 app.localhost; do
        "$BIN/licensectl" issue --signing-key "$run/issuers/default.key" --out-dir "$run/license" -- \
            X-DEMO "id=demo-$host" "licensee=Demo licensee" version=+1.0 type=floating \
            users=5 hosts=5 rights=10 option=Export users=2 \
            "duration=$first_day-$last_day" "host=$host" >/dev/null 2>&1
    done
    pool_start
    nginx_start
}

# One self-signed certificate for every domain of REALMS.
tls_certificate() {
    if [ ! -f "$run/tls/localhost.pem" ]; then
        mkdir -p "$run/tls"
        local names="DNS:localhost,DNS:app.localhost,DNS:console.localhost,IP:127.0.0.1,IP:::1"
        for pair in $REALMS; do
            case "${pair%%=*}" in localhost|127.0.0.1) ;; *) names+=",DNS:${pair%%=*}" ;; esac
        done
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
            -subj "/CN=localhost" -addext "subjectAltName=$names" \
            -keyout "$run/tls/localhost.key" -out "$run/tls/localhost.pem" 2>/dev/null
    fi
}

nginx_start() {
    mkdir -p "$run/log"
    tls_certificate
    nginx_config
    if ! nginx -c "$run/nginx/nginx.conf" -p "$run/nginx" -g "daemon on;" 2>>"$run/log/nginx-error.log"; then
        echo "stack.sh: nginx did not start:" >&2
        tail -n 3 "$run/log/nginx-error.log" >&2
        return 1
    fi
}

nginx_stop() {
    if [ -f "$run/nginx/nginx.pid" ]; then
        local pid
        pid=$(cat "$run/nginx/nginx.pid" 2>/dev/null || true)
        nginx -c "$run/nginx/nginx.conf" -p "$run/nginx" -s quit 2>/dev/null || true
        for _ in $(seq 50); do [ -f "$run/nginx/nginx.pid" ] || break; sleep 0.1; done
        # Connections that do not end within 5 s: stop at once, so that the ports are free.
        if [ -f "$run/nginx/nginx.pid" ] && [ -n "$pid" ]; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
            rm -f "$run/nginx/nginx.pid"
        fi
    fi
}

stop() {
    nginx_stop
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
    pool-foreground) pool_foreground ;;
    nginx-start) nginx_start ;;
    nginx-stop) nginx_stop ;;
    *) echo "unknown command $command" >&2; exit 2 ;;
esac

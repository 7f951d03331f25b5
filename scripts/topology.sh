#!/usr/bin/env bash
# Several hosts on this one machine (SPEC §11; docs/availability.md): network namespaces made
# here, joined by a bridge of their own, for the failover tests.
#
#   db1    PostgreSQL primary, synchronous_standby_names = 'db2'
#   db2    its synchronous standby (pg_basebackup -R), promoted by `db-promote`
#   app1   a pool over TCP, --allow nginx's address only, --database of both hosts
#   app2   the same
#   nginx and the clients stay in this namespace, on the bridge's address
#
#   scripts/topology.sh up DIR                  make it all and start it
#   scripts/topology.sh down DIR                stop and remove everything `up` made (also half-made)
#   scripts/topology.sh pool-kill|pool-start|pool-stop|pool-pause|pool-resume app1|app2 DIR
#   scripts/topology.sh link-down|link-up app1|app2 DIR
#   scripts/topology.sh db-crash DIR            db1: pg_ctl stop -m immediate
#   scripts/topology.sh db-promote DIR          db2: pg_ctl promote
#   scripts/topology.sh sql HOST DIR SQL        psql as postgres on db1 or db2
#   scripts/topology.sh exec HOST DIR CMD...    a command on that host (in its namespace)
#   scripts/topology.sh show DIR                the names and addresses
#
# Every address is in a /24 of 10.214.0.0/16 chosen from DIR's name, refused if this machine
# routes it already; names start with "lt" and a tag from DIR, so two runs never meet and `down`
# finds what a crashed run left. Settings: HTTPS_PORT (nginx, 8643), BIN (the built binaries),
# WORKERS (per pool, 4), LOG_LEVEL (info).
set -Eeuo pipefail
trap 'echo "topology.sh: line $LINENO failed: $BASH_COMMAND" >&2' ERR

here="$(cd "$(dirname "$0")/.." && pwd)"
command=${1:?usage: topology.sh up|down|pool-kill|pool-start|pool-stop|pool-pause|pool-resume|link-down|link-up|db-crash|db-promote|sql|show ...}
case "$command" in
    pool-kill|pool-start|pool-stop|pool-pause|pool-resume|link-down|link-up|sql|exec) host=${2:?host}; run=${3:?DIR}; shift 3 ;;
    *) run=${2:?DIR}; shift 2 ;;
esac
mkdir -p "$run"
run="$(cd "$run" && pwd)"

tag=$(printf '%s' "$run" | sha256sum | cut -c1-6)
subnet_octet=$((16#${tag:0:2}))
prefix="10.214.$subnet_octet"
bridge="lt${tag}br"
HTTPS_PORT=${HTTPS_PORT:-8643}
BIN=${BIN:-$(cd "$here" && swift build --show-bin-path)}
export BIN
WORKERS=${WORKERS:-4}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
hosts="db1 db2 app1 app2"

address_of() {
    case "$1" in root) echo "$prefix.1" ;; db1) echo "$prefix.11" ;; db2) echo "$prefix.12" ;;
        app1) echo "$prefix.21" ;; app2) echo "$prefix.22" ;; *) echo "no host $1" >&2; return 1 ;; esac
}
namespace() { echo "lt$tag-$1"; }
in_host() { local name=$1; shift; ip netns exec "$(namespace "$name")" "$@"; }
as_postgres_in() { local name=$1; shift; in_host "$name" runuser -u postgres -- "$@"; }
database_hosts="host=$(address_of db1),$(address_of db2) port=5432 dbname=license"

network_up() {
    if ip -o addr show | grep -q " $prefix\."; then
        echo "topology.sh: $prefix.0/24 is in use on this machine already" >&2
        return 1
    fi
    ip link add "$bridge" type bridge
    ip addr add "$(address_of root)/24" dev "$bridge"
    ip link set "$bridge" up
    for name in $hosts; do
        ip netns add "$(namespace "$name")"
        ip link add "lt$tag-$name" type veth peer name "lt$tag-${name}i"
        ip link set "lt$tag-${name}i" netns "$(namespace "$name")"
        ip link set "lt$tag-$name" master "$bridge" up
        in_host "$name" ip link set lo up
        in_host "$name" ip link set "lt$tag-${name}i" name eth0
        in_host "$name" ip addr add "$(address_of "$name")/24" dev eth0
        in_host "$name" ip link set eth0 up
    done
}

# The lines a DBA adds to db1's postgresql.conf (docs/availability.md); synchronous_standby_names
# comes once the standby streams, or the migrations would wait for it.
pg_settings() {
    local name=$1
    cat <<CONF
listen_addresses = '$(address_of "$name")'
port = 5432
unix_socket_directories = '$run/$name'
wal_level = replica
max_wal_senders = 5
hot_standby = on
cluster_name = '$name'
max_connections = 100
CONF
}

db1_up() {
    mkdir -p "$run/db1" && chown postgres:postgres "$run/db1"
    as_postgres_in db1 "$pg_bin/initdb" -D "$run/db1/data" -U postgres -A trust -E UTF8 --no-sync >"$run/log/initdb.log"
    pg_settings db1 >>"$run/db1/data/postgresql.conf"
    # Tests only: no machine crash is simulated, only processes and links.
    echo "fsync = off" >>"$run/db1/data/postgresql.conf"
    cat >>"$run/db1/data/pg_hba.conf" <<HBA
host all all $prefix.0/24 trust
host replication all $prefix.0/24 trust
HBA
    as_postgres_in db1 "$pg_bin/pg_ctl" -D "$run/db1/data" -l "$run/db1/postgres.log" -w -t 30 start >/dev/null
    as_postgres_in db1 "$pg_bin/createdb" -h "$run/db1" license
    "$BIN/licensectl" migrate --database "host=$(address_of db1) dbname=license user=postgres" --migrations "$here/sql" >"$run/log/migrate.log"
    sql db1 "CREATE ROLE license_server LOGIN IN ROLE license_pool" >/dev/null
}

db2_up() {
    mkdir -p "$run/db2" && chown postgres:postgres "$run/db2"
    as_postgres_in db2 "$pg_bin/pg_basebackup" -h "$(address_of db1)" -U postgres -D "$run/db2/data" -R -X stream -c fast
    # The copied settings are db1's: db2's own address, socket and name replace them.
    pg_settings db2 >>"$run/db2/data/postgresql.conf"
    as_postgres_in db2 "$pg_bin/pg_ctl" -D "$run/db2/data" -l "$run/db2/postgres.log" -w -t 30 start >/dev/null
    sql db1 "ALTER SYSTEM SET synchronous_standby_names = 'db2'" >/dev/null
    sql db1 "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 100); do
        [ "$(sql db1 "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'db2'")" = sync ] && return 0
        sleep 0.1
    done
    echo "topology.sh: db2 did not become db1's synchronous standby" >&2
    return 1
}

sql() {
    local name=$1; shift
    as_postgres_in "$name" "$pg_bin/psql" -h "$run/$name" -d license -XAtq -v ON_ERROR_STOP=1 -c "$*"
}

pool_start() {
    local name=$1 before
    touch "$run/log/$name.log"
    before=$(grep -c '] listening' "$run/log/$name.log" || true)
    # ip netns exec execs the pool, so that $! is the pool itself (a function in the background
    # would be a subshell, and a signal to it would miss the pool).
    ip netns exec "$(namespace "$name")" "$BIN/license-server" --socket "$(address_of "$name"):9000" --allow "$(address_of root)" \
        --database "$database_hosts user=license_server target_session_attrs=read-write connect_timeout=2" \
        --issuers "$run/issuers" --secret "$run/secret" --workers "$WORKERS" --log-level "${LOG_LEVEL:-info}" \
        >>"$run/log/$name.log" 2>&1 &
    echo $! >"$run/$name.pid"
    # Up to 30 s: a loaded machine (the whole test run beside it) is slow to start 4 workers.
    for _ in $(seq 300); do
        [ "$(grep -c '] listening' "$run/log/$name.log" || true)" -gt "$before" ] && return 0
        kill -0 "$(cat "$run/$name.pid")" 2>/dev/null || break
        sleep 0.1
    done
    echo "topology.sh: the pool on $name did not start; see $run/log/$name.log" >&2
    return 1
}

pool_signal() {
    local name=$1 signal=$2 pid
    pid=$(cat "$run/$name.pid" 2>/dev/null) || return 0
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$run/$name.pid"
}

up() {
    # Nothing of an earlier topology in this folder: a fresh cluster, keys and logs.
    rm -rf "$run/issuers" "$run/secret" "$run/db1" "$run/db2" "$run/nginx-stack" "$run/log" "$run"/app*.pid
    mkdir -p "$run/log"
    chmod 755 "$run"
    network_up
    (umask 077 && head -c 32 /dev/urandom | base64 >"$run/secret")
    "$BIN/licensectl" keygen --out "$run/issuers" --name default >/dev/null
    db1_up
    db2_up
    pool_start app1
    pool_start app2
    # nginx of the shipped files, here, with an upstream of both pools (nginx/license-pools.conf).
    POOLS="$(address_of app1):9000 $(address_of app2):9000" HTTPS_PORT=$HTTPS_PORT HTTP_PORT=$((HTTPS_PORT + 1)) \
        METRICS_PORT=$((HTTPS_PORT + 2)) RATE=100000 REALMS="localhost=default" \
        "$here/scripts/stack.sh" nginx-start "$run/nginx-stack" >/dev/null
}

down() {
    [ -d "$run/nginx-stack" ] && "$here/scripts/stack.sh" nginx-stop "$run/nginx-stack" >/dev/null 2>&1 || true
    for name in app1 app2; do pool_signal "$name" KILL; done
    for name in db1 db2; do
        [ -f "$run/$name/data/postmaster.pid" ] && as_postgres_in "$name" "$pg_bin/pg_ctl" -D "$run/$name/data" -m immediate -w stop >/dev/null 2>&1 || true
    done
    # Whatever still runs in a namespace of this topology (a pool the pid files lost).
    for name in $hosts; do
        if ip netns list | grep -q "^$(namespace "$name")\b"; then
            ip netns pids "$(namespace "$name")" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
            ip netns delete "$(namespace "$name")"
        fi
    done
    ip link show "$bridge" >/dev/null 2>&1 && ip link delete "$bridge" || true
}

case "$command" in
    up) down; up ;;
    down) down ;;
    pool-kill) pool_signal "$host" KILL ;;
    pool-stop) pool_signal "$host" TERM ;;
    pool-start) pool_start "$host" ;;
    pool-pause) kill -STOP "$(cat "$run/$host.pid")" ;;
    pool-resume) kill -CONT "$(cat "$run/$host.pid")" ;;
    link-down) in_host "$host" ip link set eth0 down ;;
    link-up) in_host "$host" ip link set eth0 up ;;
    db-crash) as_postgres_in db1 "$pg_bin/pg_ctl" -D "$run/db1/data" -m immediate -w stop >/dev/null ;;
    db-promote) as_postgres_in db2 "$pg_bin/pg_ctl" -D "$run/db2/data" -w promote >/dev/null ;;
    sql) sql "$host" "$@" ;;
    exec) in_host "$host" "$@" ;;
    show) for name in root $hosts; do echo "$name $(address_of "$name") ${name/root/-}"; done ;;
    *) echo "topology.sh: unknown command $command" >&2; exit 2 ;;
esac

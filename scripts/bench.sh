#!/usr/bin/env bash
# make bench: the service's speed, memory and scaling against its own ceilings, in one run
# (README "Performance"). Release build, the stack of make run in .run/bench, wrk over HTTPS
# with keep-alive, pgbench against the same cluster. Prints a summary; writes
# .run/bench/result.json. Never part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."

run=.run/bench
out=.run/bench/result.json
duration=${BENCH_SECONDS:-20}
warmup=${BENCH_WARMUP:-5}
workers=${BENCH_WORKERS:-16}
export HTTPS_PORT=${BENCH_HTTPS_PORT:-8543} HTTP_PORT=${BENCH_HTTP_PORT:-8180} PG_PORT=${BENCH_PG_PORT:-55532} METRICS_PORT=${BENCH_METRICS_PORT:-9564}
export WORKERS=$workers RATE=1000000 LOG_LEVEL=info LEASE=24h
export BIN=${BIN:-$(swift build -c release --show-bin-path)}
licensectl="$BIN/licensectl"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
tag=$(date +%s)

# A fresh stack each time: the figures must not depend on what an earlier run left.
scripts/stack.sh stop "$run" >/dev/null 2>&1 || true
rm -rf "$run"
mkdir -p "$run"
scripts/stack.sh start "$run" >/dev/null
ceiling_pid=""
cleanup() {
    [ -n "$ceiling_pid" ] && kill "$ceiling_pid" 2>/dev/null || true
    scripts/stack.sh stop "$run" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql() { runuser -u postgres -- "$pg_bin/psql" -h "$PWD/$run/pg" -p "$PG_PORT" -d license -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "preparing keys…" >&2
issue() { "$licensectl" issue --signing-key "$run/issuers/default.key" -- X-BENCH "$@"; }
: >"$run/keys-1000.txt"
for index in $(seq 1 1000); do issue "id=bench-$index" users=1000000000 >>"$run/keys-1000.txt"; done
: >"$run/keys-10.txt"
for index in $(seq 1 10); do issue "id=scale-$index" users=1000000000 >>"$run/keys-10.txt"; done
forged=$(issue id=forged users=5 | sed 's/users=5/users=6/')
expired=$(issue id=expired duration=01Jan2000-31Dec2000)
for key in "$forged" "$expired"; do
    printf '%s\n' "$key" >"$run/invalid-key.txt"
    "$licensectl" code --key-file "$run/invalid-key.txt" --revision 7.1 --user-id bench-invalid-1 --domain localhost
done >"$run/invalid-codes.txt"

# The plumbing ceilings: nginx answering by itself, and a minimal C libfcgi program behind
# the same nginx configuration, with as many threads as the pool has workers.
cc=$(command -v clang || command -v gcc || command -v cc)
"$cc" -O2 -o "$run/fcgi-ceiling" scripts/bench/fcgi-ceiling.c $(pkg-config --cflags --libs fcgi) -lpthread
"$run/fcgi-ceiling" "$run/ceiling.sock" "$workers" &
ceiling_pid=$!
cat >"$run/nginx/conf.d/bench-ceilings.conf" <<NGINX
upstream bench_ceiling { server unix:$PWD/$run/ceiling.sock; }
server {
    listen 127.0.0.1:$((HTTPS_PORT + 1)) ssl http2;
    server_name localhost;
    ssl_certificate $PWD/$run/tls/localhost.pem;
    ssl_certificate_key $PWD/$run/tls/localhost.key;
    include $PWD/$run/nginx/license-domain-common.conf;
    location = /return200 { return 200 "valid\n"; }
    location = /fastcgi { include $PWD/$run/nginx/license_fastcgi_params; fastcgi_pass bench_ceiling; }
}
NGINX
nginx -c "$PWD/$run/nginx/nginx.conf" -p "$PWD/$run/nginx" -s reload
sleep 1

pool_pid() { cat "$run/license-server.pid"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# A process's CPU and that of its children that have ended (cutime, cstime): pgbench's backends
# end with the run, and only their parent's counters still hold what they spent.
cpu_ticks_with_ended_children() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }
# CPU ticks of a process and its children (PostgreSQL's backends, nginx's workers).
family_ticks() {
    local total=0 child
    total=$(cpu_ticks_with_ended_children "$1")
    for child in $(ps -o pid= --ppid "$1"); do total=$((total + $(cpu_ticks "$child" 2>/dev/null || echo 0))); done
    echo "$total"
}
postmaster_pid() { head -n 1 "$run/pg/data/postmaster.pid"; }
nginx_pid() { cat "$run/nginx/nginx.pid"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
ticks_per_second=$(getconf CLK_TCK)

results=()
# run NAME URL_PATH PORT MODE KEYS CONNECTIONS: a warm-up, then the measured run; appends a JSON object.
run() {
    local name=$1 path=$2 port=$3 mode=$4 keys=$5 connections=$6
    local url="https://localhost:$port$path" args=("$mode" "$keys" "$run/invalid-codes.txt")
    # Distinct tags: the measured admissions are users the warm-up did not make.
    wrk -t2 -c"$connections" -d"${warmup}s" -s scripts/bench/checks.lua "$url" -- "${args[@]}" "$tag-$name-$connections-w" >/dev/null
    local pid ticks_before ticks_after
    # The process that answers: the pool, or for the fastcgi-c ceiling the C program.
    if [ "$name" = fastcgi-c ]; then pid=$ceiling_pid; else pid=$(pool_pid); fi
    ticks_before=$(cpu_ticks "$pid")
    local pg_before nginx_before pg_after nginx_after
    pg_before=$(family_ticks "$(postmaster_pid)")
    nginx_before=$(family_ticks "$(nginx_pid)")
    local output
    output=$(wrk -t2 -c"$connections" -d"${duration}s" -s scripts/bench/checks.lua "$url" -- "${args[@]}" "$tag-$name-$connections-m")
    ticks_after=$(cpu_ticks "$pid")
    pg_after=$(family_ticks "$(postmaster_pid)")
    nginx_after=$(family_ticks "$(nginx_pid)")
    local line=${output#*WRK_RESULT }
    line=${line%%$'\n'*}
    local requests
    requests=$(sed -n 's/.*"requests": \([0-9]*\).*/\1/p' <<<"$line")
    per_1000() { awk -v t="$1" -v hz="$ticks_per_second" -v n="$requests" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1000 / n * 1000 : 0) }'; }
    local cpu_ms_per_1000
    cpu_ms_per_1000=$(per_1000 $((ticks_after - ticks_before)))
    results+=("{\"name\": \"$name\", \"connections\": $connections, ${line#\{}")
    results[-1]="${results[-1]%\}}, \"pool_rss_mib\": $(awk -v k="$(rss_kib "$pid")" 'BEGIN { printf "%.1f", k / 1024 }'), \"pool_cpu_ms_per_1000_checks\": $cpu_ms_per_1000, \"postgres_cpu_ms_per_1000_checks\": $(per_1000 $((pg_after - pg_before))), \"nginx_cpu_ms_per_1000_checks\": $(per_1000 $((nginx_after - nginx_before)))}"
    echo "  $name @$connections: $line" >&2
}

echo "ceilings (nginx alone, C libfcgi)…" >&2
for connections in 16 64; do
    run return200 /return200 $((HTTPS_PORT + 1)) refresh "$run/keys-1000.txt" $connections
    run fastcgi-c /fastcgi $((HTTPS_PORT + 1)) refresh "$run/keys-1000.txt" $connections
done

echo "the service…" >&2
# The first pass admits the refresh users, so that every measured refresh finds its seat.
wrk -t2 -c16 -d"${warmup}s" -s scripts/bench/checks.lua "https://localhost:$HTTPS_PORT/check" -- refresh "$run/keys-1000.txt" "$run/invalid-codes.txt" "$tag-seed" >/dev/null
for connections in 16 64; do
    run refresh /check "$HTTPS_PORT" refresh "$run/keys-1000.txt" $connections
    run admit /check "$HTTPS_PORT" admit "$run/keys-1000.txt" $connections
    run mixed /check "$HTTPS_PORT" mixed "$run/keys-1000.txt" $connections
done

# What signing costs (SPEC §7: the default realm signs every answer): the same refresh run with
# the realm's answer key taken away, and the cost of one Ed25519 signature by openssl alone.
echo "signing: refresh with the default realm unsigned…" >&2
restart_pool() { scripts/stack.sh pool-stop "$run" >/dev/null && scripts/stack.sh pool-start "$run" >/dev/null; }
mkdir -p "$run/answer-keys-aside"
mv "$run/answer-keys/default.key" "$run/answer-keys/default.pem" "$run/answer-keys-aside/"
restart_pool
run refresh-unsigned /check "$HTTPS_PORT" refresh "$run/keys-1000.txt" 64
mv "$run/answer-keys-aside/default.key" "$run/answer-keys-aside/default.pem" "$run/answer-keys/"
restart_pool
# Signed again right after, so that the two runs meet the machine in the same mood.
run refresh-signed /check "$HTTPS_PORT" refresh "$run/keys-1000.txt" 64
openssl_signatures_per_second=$(openssl speed -seconds 3 ed25519 2>/dev/null | awk '/\(Ed25519\)/ { print $(NF - 1) }')
echo "  openssl: $openssl_signatures_per_second Ed25519 signatures per second" >&2
answer_signing=$("$BIN/bench-answer-signing" 20000)
echo "  in process: $answer_signing" >&2

echo "the database ceiling (pgbench, the pool's statements, $workers connections)…" >&2
psql -f scripts/bench/pgbench-setup.sql
# Each prints its transactions per second and PostgreSQL's CPU per transaction (µs): what the
# same statements cost the database without the pool, for the pool's runs to be compared with.
pgbench_run() {
    local before after output transactions
    before=$(family_ticks "$(postmaster_pid)")
    output=$(PGOPTIONS="-c synchronous_commit=off -c statement_timeout=3s -c lock_timeout=2s" \
        runuser -u postgres -- "$pg_bin/pgbench" -h "$PWD/$run/pg" -p "$PG_PORT" -n -M prepared -c "$workers" -j 2 \
        -T "$duration" -f "$1" license 2>/dev/null)
    after=$(family_ticks "$(postmaster_pid)")
    transactions=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$output")
    awk -v tps="$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$output")" -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$transactions" \
        'BEGIN { printf "%s %.1f", tps, (n > 0 ? t / hz * 1e6 / n : 0) }'
}
read -r pgbench_refresh pgbench_refresh_cpu_us <<<"$(pgbench_run scripts/bench/pgbench-refresh.sql)"
read -r pgbench_admit pgbench_admit_cpu_us <<<"$(pgbench_run scripts/bench/pgbench-admit.sql)"
echo "  pgbench refresh: $pgbench_refresh tps ($pgbench_refresh_cpu_us µs of PostgreSQL CPU each), admit: $pgbench_admit tps ($pgbench_admit_cpu_us µs)" >&2

echo "scaling: refresh of 10 licenses, then with 100 000 licenses × 10 seats more…" >&2
run scale-small /check "$HTTPS_PORT" refresh "$run/keys-10.txt" 64
psql -f scripts/bench/filler.sql
# The measured run must not share the cores with the bulk load's aftermath (autovacuum).
for _ in $(seq 1 60); do
    [ "$(psql -At -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ] && break
    sleep 1
done
run scale-1m-seats /check "$HTTPS_PORT" refresh "$run/keys-10.txt" 64
seats=$(psql -At -c "SELECT count(*) FROM seats")

{
    printf '{\n  "taken": "%s",\n  "machine": "%s, %s cores, %s",\n' "$(date -u +%FT%TZ)" "$(uname -m)" "$(nproc)" \
        "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
    printf '  "workers": %s, "seconds_per_run": %s, "seats_at_end": %s,\n' "$workers" "$duration" "$seats"
    printf '  "pgbench_tps": {"refresh": %s, "admit": %s},\n' "$pgbench_refresh" "$pgbench_admit"
    printf '  "pgbench_postgres_cpu_us": {"refresh": %s, "admit": %s},\n' "$pgbench_refresh_cpu_us" "$pgbench_admit_cpu_us"
    printf '  "openssl_ed25519_signatures_per_second": %s,\n' "$openssl_signatures_per_second"
    printf '  "answer_signing": %s,\n' "$answer_signing"
    printf '  "runs": [\n    %s\n  ]\n}\n' "$(IFS=$'\n'; echo "${results[*]}" | paste -sd, - | sed 's/},{/},\n    {/g')"
} >"$out"
scripts/bench-summary.sh "$out"

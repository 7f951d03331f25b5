#!/usr/bin/env bash
# make bench: the service's speed, memory and scaling against its own ceilings, in one run
# (docs/performance.md). Release build, the stack of make run in .run/bench, wrk over HTTPS
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
tag=$(date +%s)
. scripts/bench/load-stack.sh

start_load_stack
ceiling_pid=""
cleanup() {
    [ -n "$ceiling_pid" ] && kill "$ceiling_pid" 2>/dev/null || true
    scripts/stack.sh stop "$run" >/dev/null 2>&1 || true
}
trap cleanup EXIT
prepare_keys

# The plumbing ceilings: nginx answering by itself, and a minimal C libfcgi program behind
# the same nginx configuration, with as many threads as the pool has workers.
cc=$(command -v clang || command -v gcc || command -v cc)
"$cc" -O2 -o "$run/fcgi-ceiling" scripts/bench/fcgi-ceiling.c $(pkg-config --cflags --libs fcgi) -lpthread
"$cc" -O2 -o "$run/open-loop" scripts/bench/open-loop.c $(pkg-config --cflags --libs openssl)
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
ticks_per_second=$(getconf CLK_TCK)

results=()
# The statements PostgreSQL ran since the last reset, the most costly first: calls per check and
# mean execution time (JSON), for the summary's profile of a check's database work.
statements_per_check() {
    psql -At -c "SELECT coalesce(json_agg(s), '[]') FROM (
        SELECT round(calls::numeric / $1, 3) AS calls_per_check, round((total_exec_time / calls * 1000)::numeric, 1) AS mean_us,
               left(regexp_replace(query, '\s+', ' ', 'g'), 80) AS statement
        FROM pg_stat_statements WHERE calls > 0 AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%bench_waits%'
          AND query NOT LIKE '%bench.samples%'
        ORDER BY total_exec_time DESC LIMIT 6) AS s" | tr -d '\n'
}

# run NAME URL_PATH PORT MODE KEYS CONNECTIONS [USERS_PER_LICENSE]: a warm-up, then the measured
# run; appends a JSON object.
run() {
    local name=$1 path=$2 port=$3 mode=$4 keys=$5 connections=$6 users=${7:-10}
    local url="https://localhost:$port$path"
    # Distinct tags: the measured admissions are users the warm-up did not make.
    wrk -t2 -c"$connections" -d"${warmup}s" -s scripts/bench/checks.lua "$url" -- "$mode" "$keys" "$run/invalid-codes.txt" \
        "$tag-$name-$connections-w" "$users" 2 >/dev/null
    local pid ticks_before ticks_after
    # The process that answers: the pool, or for the fastcgi-c ceiling the C program.
    if [ "$name" = fastcgi-c ]; then pid=$ceiling_pid; else pid=$(pool_pid); fi
    psql -At -c "SELECT pg_stat_statements_reset()" >/dev/null
    ticks_before=$(cpu_ticks "$pid")
    local pg_before nginx_before pg_after nginx_after
    pg_before=$(family_ticks "$(postmaster_pid)")
    nginx_before=$(family_ticks "$(nginx_pid)")
    local output sampler=""
    # The service's runs: where the pool's database sessions spend the run (scripts/bench/sample-waits.sql).
    if [ "$path" = /check ]; then
        psql -v samples=$((duration * 50 - 25)) -v run="$name-$connections" -f scripts/bench/sample-waits.sql >/dev/null &
        sampler=$!
    fi
    output=$(wrk -t2 -c"$connections" -d"${duration}s" -s scripts/bench/checks.lua "$url" -- "$mode" "$keys" "$run/invalid-codes.txt" \
        "$tag-$name-$connections-m" "$users" 2)
    local waits='[]'
    if [ -n "$sampler" ]; then
        wait "$sampler"
        waits=$(psql -At -c "SELECT coalesce(json_agg(w ORDER BY share DESC), '[]') FROM (
            SELECT state, wait, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS share
            FROM bench_waits WHERE run = '$name-$connections' GROUP BY state, wait) AS w" | tr -d '\n')
    fi
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
    results[-1]="${results[-1]%\}}, \"waits\": $waits, \"statements\": $(statements_per_check "$((requests > 0 ? requests : 1))"), \"pool_rss_mib\": $(awk -v k="$(rss_kib "$pid")" 'BEGIN { printf "%.1f", k / 1024 }'), \"pool_cpu_ms_per_1000_checks\": $cpu_ms_per_1000, \"postgres_cpu_ms_per_1000_checks\": $(per_1000 $((pg_after - pg_before))), \"nginx_cpu_ms_per_1000_checks\": $(per_1000 $((nginx_after - nginx_before)))}"
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

# Latency at a given load: the mixed load open-loop at 25, 50 and 75 % of the rate the closed
# loop reached at 64 connections (each request due at its time, whatever the answers before it,
# its latency counted from then: scripts/bench/open-loop.c), on 128 connections.
max_mixed=$(printf '%s\n' "${results[@]}" | jq -s 'first(.[] | select(.name == "mixed" and .connections == 64)) | .requests / .seconds | floor')
open_loop=()
echo "the mixed load open-loop at 25, 50, 75 % of $max_mixed/s…" >&2
for share in 25 50 75; do
    rate=$((max_mixed * share / 100))
    python3 scripts/bench/open-loop-bodies.py "$run/keys-1000.txt" "$run/invalid-codes.txt" "$tag-open-$share" $((rate * duration)) \
        >"$run/open-loop-bodies.txt"
    line=$("$run/open-loop" "$HTTPS_PORT" 128 "$rate" "$duration" "$run/open-loop-bodies.txt")
    open_loop+=("{\"share\": $share, ${line#\{}")
    echo "  open loop at $share % ($rate/s): $line" >&2
done

# Right after the service's runs, so that its admissions count the seats the pool's counted.
echo "the database ceiling (pgbench, the pool's statements, $workers connections)…" >&2
psql -f scripts/bench/pgbench-setup.sql
# Each prints its transactions per second and PostgreSQL's CPU per transaction (µs): what the
# same statements cost the database without the pool, for the pool's runs to be compared with.
# The pool's session settings (SeatStore.sessionSettings), generic plans among them.
pgbench_run() {
    local before after output transactions
    before=$(family_ticks "$(postmaster_pid)")
    output=$(PGOPTIONS="-c synchronous_commit=off -c statement_timeout=3s -c lock_timeout=2s -c plan_cache_mode=force_generic_plan" \
        runuser -u postgres -- "$pg_bin/pgbench" -h "$PWD/$run/pg" -p "$PG_PORT" -n -M prepared -c "$workers" -j 2 \
        -T "$duration" "$@" license 2>/dev/null)
    # pgbench's backends end after it: once ended and reaped, their CPU is the postmaster's
    # cutime; a backend that ended between the two reads of family_ticks would count nowhere.
    while [ "$(psql -At -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'")" != 0 ]; do sleep 0.2; done
    sleep 0.5
    after=$(family_ticks "$(postmaster_pid)")
    transactions=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$output")
    awk -v tps="$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$output")" -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$transactions" \
        'BEGIN { printf "%s %.1f", tps, (n > 0 ? t / hz * 1e6 / n : 0) }'
}
read -r pgbench_refresh pgbench_refresh_cpu_us <<<"$(pgbench_run -f scripts/bench/pgbench-refresh.sql)"
read -r pgbench_bound pgbench_bound_cpu_us <<<"$(pgbench_run -f scripts/bench/pgbench-refresh-bound.sql)"
read -r pgbench_admit pgbench_admit_cpu_us <<<"$(pgbench_run -f scripts/bench/pgbench-admit.sql)"
# The mixed check's database work in one run: 89 refreshes to 10 admissions (the 1 % invalid
# checks reach no statement), the admissions on the licenses the pool's mixed run admitted to.
read -r pgbench_mix pgbench_mix_cpu_us <<<"$(pgbench_run -f scripts/bench/pgbench-refresh.sql@89 -f scripts/bench/pgbench-admit.sql@10)"
echo "  pgbench refresh: $pgbench_refresh tps ($pgbench_refresh_cpu_us µs of PostgreSQL CPU each), of a bound computer (bind=): $pgbench_bound tps ($pgbench_bound_cpu_us µs), admit: $pgbench_admit tps ($pgbench_admit_cpu_us µs), the mix: $pgbench_mix tps ($pgbench_mix_cpu_us µs)" >&2


# Where the pool's CPU goes in the mixed load at 64 connections: perf's samples by library (when
# perf can sample here), and the system calls per check by strace (which slows the pool: its
# counts, not its times, are the figure). Then the C program's system calls per request.
echo "profile: mixed @64 under perf, then strace…" >&2
profile_load() {
    wrk -t2 -c64 -d"$1s" -s scripts/bench/checks.lua "https://localhost:$2/$3" -- mixed "$run/keys-1000.txt" \
        "$run/invalid-codes.txt" "$tag-profile-$3-$RANDOM" >/dev/null
}
perf_libraries='[]'
profile_load $((duration / 2 + 4)) "$HTTPS_PORT" check &
load_pid=$!
sleep 2
if perf record -e cpu-clock -F 999 -p "$(pool_pid)" -o "$run/pool.perf" -- sleep $((duration / 2)) >/dev/null 2>&1; then
    perf_libraries=$(perf report -i "$run/pool.perf" --sort dso --stdio -q 2>/dev/null \
        | awk '$1 ~ /%$/ { sub("%", "", $1); printf "%s{\"share\": %s, \"library\": \"%s\"}", (n++ ? ", " : ""), $1, $2 } END { if (n) print "" }' \
        | head -c 2000 | sed 's/^/[/; s/$/]/')
    [ -n "$perf_libraries" ] && [ "$perf_libraries" != "[]" ] || perf_libraries='[]'
fi
wait "$load_pid"
# syscalls_per_request PID PORT PATH: strace -c of PID over a mixed load; calls per accepted request.
syscalls_per_request() {
    profile_load $((duration / 2 + 4)) "$2" "$3" &
    local load=$!
    sleep 2
    timeout -s INT $((duration / 2)) strace -f -c -U name,calls -p "$1" -o "$run/strace-$1.txt" 2>/dev/null || true
    wait "$load"
    awk '$1 ~ /^[a-z_0-9]+$/ && $1 != "total" && $2 ~ /^[0-9]+$/ && $2 > 0 { calls[$1] = $2 }
         END { n = calls["accept"] + calls["accept4"]; first = 1; printf "{"
               for (name in calls) { printf "%s\"%s\": %.2f", (first ? "" : ", "), name, (n > 0 ? calls[name] / n : 0); first = 0 }
               print "}" }' "$run/strace-$1.txt"
}
pool_syscalls=$(syscalls_per_request "$(pool_pid)" "$HTTPS_PORT" check)
ceiling_syscalls=$(syscalls_per_request "$ceiling_pid" $((HTTPS_PORT + 1)) fastcgi)
echo "  perf: $perf_libraries" >&2
echo "  system calls per check: pool $pool_syscalls; C program $ceiling_syscalls" >&2

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

echo "scaling: refresh of 10 licenses, then with 100 000 licenses × 10 seats more…" >&2
run scale-small /check "$HTTPS_PORT" refresh "$run/keys-10.txt" 64
psql -f scripts/bench/filler.sql
# The measured run must not share the cores with the bulk load's aftermath (autovacuum).
wait_for_autovacuum() {
    for _ in $(seq 1 120); do
        [ "$(psql -At -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ] && break
        sleep 1
    done
}
wait_for_autovacuum
run scale-1m-seats /check "$HTTPS_PORT" refresh "$run/keys-10.txt" 64

# The realistic refresh: 1 000 seats on each of the 1 000 licenses, every check another seat
# (scripts/bench/checks.lua's spread mode), against the 10 seats per license of "refresh".
spread_users=${BENCH_SPREAD_USERS:-1000}
echo "a realistic refresh: $((spread_users * 1000)) distinct seats…" >&2
psql -v licenses=1000 -v users="$spread_users" -v secret="$(cat "$run/secret")" -f scripts/bench/spread-seats.sql
wait_for_autovacuum
run refresh-spread /check "$HTTPS_PORT" spread "$run/keys-1000.txt" 64 "$spread_users"
run refresh-10k-seats /check "$HTTPS_PORT" refresh "$run/keys-1000.txt" 64

# Heartbeats beside it: 20 000 running instances (200 on each of 100 licenses that count
# rights), each checked in turn, over and over: the seats a pool has just seen.
# Every instance is admitted first (seeded until the seats are all there), so that the measured
# run refreshes only.
echo "heartbeats of 20 000 running instances…" >&2
for _ in $(seq 1 20); do
    [ "$(psql -At -c "SELECT count(*) FROM seats WHERE license_id LIKE 'bench-heartbeat-%' AND scope = 'base'")" -ge 20000 ] && break
    wrk -t2 -c16 -d"${warmup}s" -s scripts/bench/checks.lua "https://localhost:$HTTPS_PORT/check" -- heartbeat "$run/keys-heartbeat.txt" \
        "$run/invalid-codes.txt" "$tag-heartbeat-seed" 200 >/dev/null
done
heartbeat_seats=$(psql -At -c "SELECT count(*) FROM seats WHERE license_id LIKE 'bench-heartbeat-%' AND scope = 'base'")
echo "  $heartbeat_seats running instances admitted" >&2
run heartbeat /check "$HTTPS_PORT" heartbeat "$run/keys-heartbeat.txt" 64 200
seats=$(psql -At -c "SELECT count(*) FROM seats")

{
    printf '{\n  "taken": "%s",\n  "machine": "%s, %s cores, %s",\n' "$(date -u +%FT%TZ)" "$(uname -m)" "$(nproc)" \
        "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
    printf '  "workers": %s, "seconds_per_run": %s, "seats_at_end": %s,\n' "$workers" "$duration" "$seats"
    printf '  "spread_seats": %s, "heartbeat_instances": %s,\n' "$((spread_users * 1000))" "$heartbeat_seats"
    printf '  "pgbench_tps": {"refresh": %s, "refresh_bound": %s, "admit": %s, "mix": %s},\n' "$pgbench_refresh" "$pgbench_bound" "$pgbench_admit" "$pgbench_mix"
    printf '  "pgbench_postgres_cpu_us": {"refresh": %s, "refresh_bound": %s, "admit": %s, "mix": %s},\n' "$pgbench_refresh_cpu_us" "$pgbench_bound_cpu_us" "$pgbench_admit_cpu_us" "$pgbench_mix_cpu_us"
    printf '  "pool_perf_libraries": %s,\n' "$perf_libraries"
    printf '  "syscalls_per_request": {"pool": %s, "fastcgi_c": %s},\n' "$pool_syscalls" "$ceiling_syscalls"
    printf '  "openssl_ed25519_signatures_per_second": %s,\n' "$openssl_signatures_per_second"
    printf '  "answer_signing": %s,\n' "$answer_signing"
    printf '  "open_loop": [%s],\n' "$(IFS=,; echo "${open_loop[*]}")"
    printf '  "runs": [\n    %s\n  ]\n}\n' "$(IFS=$'\n'; echo "${results[*]}" | paste -sd, - | sed 's/},{/},\n    {/g')"
} >"$out"
scripts/bench-summary.sh "$out"

# Sourced by scripts/bench.sh and scripts/soak.sh: a fresh stack of make run in $run for a load,
# the keys and codes the load sends, and what both read off the processes. Set before: run,
# workers, and HTTPS_PORT, HTTP_PORT, PG_PORT, METRICS_PORT (exported).
export WORKERS=$workers RATE=1000000 LOG_LEVEL=info LEASE=24h
# pg_stat_statements: the statements of a check, their calls and times (the summary's profile).
export PG_SETTINGS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top"
export BIN=${BIN:-$(swift build -c release --show-bin-path)}
licensectl="$BIN/licensectl"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

psql() { runuser -u postgres -- "$pg_bin/psql" -h "$PWD/$run/pg" -p "$PG_PORT" -d license -X -q -v ON_ERROR_STOP=1 "$@"; }
pool_pid() { cat "$run/license-server.pid"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# A fresh stack each time: the figures must not depend on what an earlier run left.
start_load_stack() {
    scripts/stack.sh stop "$run" >/dev/null 2>&1 || true
    rm -rf "$run"
    mkdir -p "$run"
    scripts/stack.sh start "$run" >/dev/null
    psql -c "CREATE EXTENSION pg_stat_statements"
}

# keys-1000.txt (licenses bench-1 … bench-1000 with room for every user), keys-heartbeat.txt
# (100 licenses that count rights), keys-10.txt and
# invalid-codes.txt (a forged and an expired key) in $run.
prepare_keys() {
    echo "preparing keys…" >&2
    issue() { "$licensectl" issue --signing-key "$run/issuers/default.key" -- X-BENCH "$@"; }
    : >"$run/keys-1000.txt"
    for index in $(seq 1 1000); do issue "id=bench-$index" users=1000000000 >>"$run/keys-1000.txt"; done
    # Keys that count rights, for the heartbeat workload (running instances).
    : >"$run/keys-heartbeat.txt"
    for index in $(seq 1 100); do issue "id=bench-heartbeat-$index" users=1000000000 rights=1000000000 >>"$run/keys-heartbeat.txt"; done
    : >"$run/keys-10.txt"
    for index in $(seq 1 10); do issue "id=scale-$index" users=1000000000 >>"$run/keys-10.txt"; done
    local forged expired key
    forged=$(issue id=forged users=5 | sed 's/users=5/users=6/')
    expired=$(issue id=expired duration=01Jan2000-31Dec2000)
    for key in "$forged" "$expired"; do
        printf '%s\n' "$key" >"$run/invalid-key.txt"
        "$licensectl" code --key-file "$run/invalid-key.txt" --revision 7.1 --user-id bench-invalid-1 --domain localhost
    done >"$run/invalid-codes.txt"
}

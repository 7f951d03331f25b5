#!/usr/bin/env bash
# The reports' speed on 100 000 licenses, 1 000 000 active seats and 10 000 000 seat-days
# (sql/reports/bench-data.sql), in a private stack under .run/bench-reports: each report's usual
# query with EXPLAIN ANALYZE, its time and whether it read a whole large table. Part of
# `make bench`; `make bench-reports` runs it alone. Writes .run/bench/reports.json.
set -euo pipefail
cd "$(dirname "$0")/.."

run=.run/bench-reports
export HTTPS_PORT=${REPORTS_HTTPS_PORT:-8643} HTTP_PORT=${REPORTS_HTTP_PORT:-8280} PG_PORT=${REPORTS_PG_PORT:-55632} METRICS_PORT=${REPORTS_METRICS_PORT:-9664}
export BIN=${BIN:-$(swift build -c release --show-bin-path)}
mkdir -p .run/bench
# A fresh cluster each time, so that the figures are those of the current migrations.
scripts/stack.sh stop "$run" >/dev/null 2>&1 || true
rm -rf "$run"
scripts/stack.sh start "$run" >/dev/null
trap 'scripts/stack.sh stop "$run" >/dev/null 2>&1 || true' EXIT
# The reports need the database only; a pool's usage recorder would roll the synthetic seats
# up while they load and collide with the history loaded after them.
scripts/stack.sh pool-stop "$run"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
psql() { runuser -u postgres -- "$pg_bin/psql" -h "$PWD/$run/pg" -p "$PG_PORT" -d license -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "loading 100 000 licenses, 1 000 000 seats, 10 000 000 seat-days (about a minute)…"
psql -f sql/reports/bench-data.sql

queries=(
    "usage now, one license|SELECT * FROM report_usage_now WHERE realm = 'bench' AND license_id = 'L4242'"
    "usage now, the 20 fullest of all|SELECT * FROM report_usage_now ORDER BY percent_used DESC NULLS LAST LIMIT 20"
    "usage by day, one license, 400 days|SELECT * FROM report_usage_by_day WHERE realm = 'bench' AND license_id = 'L4242' AND day > current_date - 400"
    "usage by day, all licenses, yesterday|SELECT * FROM report_usage_by_day WHERE day = current_date - 1"
    "usage by month, one license|SELECT * FROM report_usage_by_month WHERE realm = 'bench' AND license_id = 'L4242'"
    "usage by month, all licenses, last month|SELECT * FROM report_usage_by_month WHERE month = date_trunc('month', current_date - 31)::date"
    "denials, all licenses, 30 days|SELECT * FROM report_denials_by_day WHERE day > current_date - 30"
    "expiring within 30 days|SELECT * FROM report_expiry WHERE expires_in_days BETWEEN 0 AND 30 OR maintenance_ends_in_days BETWEEN 0 AND 30"
    "domains and revisions, one license|SELECT * FROM report_clients WHERE realm = 'bench' AND license_id = 'L4242'"
    "near a limit or turned away, 30 days|SELECT * FROM report_near_limit"
)

printf '%-42s %10s %8s  %s\n' "report" "ms" "rows" "whole-table reads of seats/usage_days"
json="["
time_queries() {
for entry in "$@"; do
    name=${entry%%|*}
    query=${entry#*|}
    # Run once to warm the cache (LIMIT 0 would execute nothing), then time it.
    rows=$(psql -At -c "SET jit = off" -c "SELECT count(*) FROM ($query) q")
    plan=$(psql -At -c "SET jit = off" -c "EXPLAIN (ANALYZE, BUFFERS) $query")
    ms=$(sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p' <<<"$plan")
    scans=$(grep -Eo 'Seq Scan on (seats|usage_days)[a-z_]*' <<<"$plan" | sort -u | tr '\n' ' ' || true)
    printf '%-42s %10s %8s  %s\n' "$name" "$ms" "$rows" "${scans:-none}"
    json+=$(printf '{"report": "%s", "milliseconds": %s, "rows": %s, "whole_table_reads": "%s"},' "$name" "$ms" "$rows" "${scans% }")
done
}
time_queries "${queries[@]}"

# The console's list, after a roll-up: the synthetic seats (10 users on users=10 each) are rolled up
# only now, since today's roll-up makes every license "near its limit" for report_near_limit above.
# What the pools' roll-up does each hour (and at start): every scope, which also fills the
# console's usage_now and license_fullness (sql/migrations/013_schema_of_0.4.0.sql).
started=$(date +%s.%N)
psql -c "SELECT record_usage()" >/dev/null
finished=$(date +%s.%N)
awk -v a="$started" -v b="$finished" 'BEGIN { printf "record_usage(), every scope of 100 000 licenses and 1 000 000 seats: %.1f s\n", b - a }'
# What autovacuum does within a minute of the first full roll-up; without statistics the list's
# plan sorts every license.
psql -c "ANALYZE usage_now, license_fullness"
time_queries \
    "console: the 50 fullest of all|SELECT * FROM report_licenses_fullest ORDER BY percent_used DESC NULLS LAST, realm, license_id, issuer, product LIMIT 51" \
    "console: a licensee's licenses|SELECT * FROM report_licenses_fullest WHERE license_id = 'Licensee 4242' OR licensee ILIKE '%Licensee 4242%' ORDER BY percent_used DESC NULLS LAST, realm, license_id, issuer, product LIMIT 51"
# The console's pages as a browser gets them: through nginx over TLS with basic auth, from the
# pool (started now that the data is loaded), each the median of 21 loads after one to warm up.
scripts/stack.sh pool-start "$run" >/dev/null
# Not while the pool's roll-up at start (every scope) runs.
sleep 2
for _ in $(seq 120); do
    [ "$(psql -At -c "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%record_usage%' AND pid <> pg_backend_pid()")" = 0 ] && break
    sleep 1
done
password=$(cat "$run/console-password")
page_ms() {
    local path=$1
    for _ in $(seq 22); do
        curl -s -o /dev/null -w '%{time_total}\n' --cacert "$run/tls/localhost.pem" -u "console:$password" \
            --resolve "console.localhost:$HTTPS_PORT:127.0.0.1" "https://console.localhost:$HTTPS_PORT$path"
    done | tail -n 21 | sort -n | awk '{ times[NR] = $1 } END { printf "%.1f", times[11] * 1000 }'
}
for entry in "console page: licenses, the fullest first|/console/" "console page: search by licensee|/console/?q=Licensee+4242" \
             "console page: one license|/console/license/bench/L4242" "console page: expiring|/console/expiring" \
             "console page: denials|/console/denials"; do
    name=${entry%%|*}
    ms=$(page_ms "${entry#*|}")
    printf '%-42s %10s %8s  %s\n' "$name" "$ms" "-" "(median of 21, through nginx and the pool)"
    json+=$(printf '{"report": "%s", "milliseconds": %s, "rows": null, "whole_table_reads": "page"},' "$name" "$ms")
done
echo "${json%,}]" >.run/bench/reports.json
echo "(written to .run/bench/reports.json; plans: EXPLAIN (ANALYZE) the queries above in $run)"

# licensectl purge on the same data: history older than 30 days (70 of the 100 days, about 7
# million seat-days) and lapsed seats, in transactions of 20 000 rows, while nothing else runs.
started=$(date +%s.%N)
purged=$("$BIN/licensectl" purge --database "host=$PWD/$run/pg port=$PG_PORT dbname=license user=postgres" --older-than 30d)
finished=$(date +%s.%N)
awk -v what="$purged" -v a="$started" -v b="$finished" 'BEGIN { printf "purge --older-than 30d: %s in %.1f s\n", what, b - a }'

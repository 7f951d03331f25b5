#!/usr/bin/env bash
# make soak: the mixed load at half the measured maximum for SOAK_MINUTES (30), through nginx
# over HTTPS with wrk, in a fresh stack in .run/soak (docs/performance.md). Prints errors, the
# pool's memory after the first minute and at the end, p99 of the first and the last five
# minutes, and the sizes of the seats table and its indexes over the run; writes
# .run/soak/samples.tsv and .run/soak/result.json. Never part of make test or CI.
set -euo pipefail
cd "$(dirname "$0")/.."

run=.run/soak
minutes=${SOAK_MINUTES:-30}
connections=${SOAK_CONNECTIONS:-64}
workers=${SOAK_WORKERS:-16}
# Five-minute segments (one-minute ones for a soak shorter than ten minutes): wrk reports a
# p99 per segment, so the first and the last five minutes are measured each on its own.
segment=$((minutes >= 10 ? 5 : 1))
export HTTPS_PORT=${SOAK_HTTPS_PORT:-8743} HTTP_PORT=${SOAK_HTTP_PORT:-8380} PG_PORT=${SOAK_PG_PORT:-55732} METRICS_PORT=${SOAK_METRICS_PORT:-9764}
. scripts/bench/load-stack.sh

start_load_stack
sampler_pid=""
cleanup() {
    [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
    scripts/stack.sh stop "$run" >/dev/null 2>&1 || true
}
trap cleanup EXIT
prepare_keys
url="https://localhost:$HTTPS_PORT/check"
tag=soak-$(date +%s)
load() { # SECONDS MODE PAUSE_MS NAME: wrk's result (JSON); a pause of 0 sends as fast as answers come
    wrk -t2 -c"$connections" -d"$1s" -s scripts/bench/checks.lua "$url" -- "$2" "$run/keys-1000.txt" \
        "$run/invalid-codes.txt" "$tag-$4" 10 2 "$3" | sed -n 's/^WRK_RESULT //p'
}
requests_per_second() { jq -r '.requests / .seconds | floor' <<<"$1"; }

echo "the maximum: mixed at $connections connections, 30 s after a warm-up…" >&2
load 10 refresh 0 seed >/dev/null
load 5 mixed 0 warmup >/dev/null
maximum=$(load 30 mixed 0 maximum)
target=$(( $(requests_per_second "$maximum") / 2 ))
# Each connection pauses after an answer: C * 1000 / target ms, less the latency that a 15 s
# trial at that pause shows (C * 1000 / achieved - pause).
pause=$((connections * 1000 / target))
trial=$(load 15 mixed "$pause" trial)
latency=$(( connections * 1000 / $(requests_per_second "$trial") - pause ))
pause=$(( connections * 1000 / target - latency ))
pause=$((pause > 1 ? pause : 1))
echo "  $(requests_per_second "$maximum") checks/s; the soak aims at $target/s for $minutes minutes (a pause of $pause ms per connection)" >&2

# Every 15 s: seconds into the soak, the pool's RSS (KiB), live and dead rows of seats, the
# sizes of its table and of its indexes (bytes), and how often autovacuum has vacuumed it.
sample() {
    local started=$1
    printf 'seconds\tpool_rss_kib\tseats_live\tseats_dead\ttable_bytes\tindex_bytes\tautovacuums\n'
    while true; do
        printf '%s\t%s\t%s\n' $(( $(date +%s) - started )) "$(rss_kib "$(pool_pid)")" \
            "$(psql -At -F $'\t' -c "SELECT n_live_tup, n_dead_tup, pg_table_size('seats'), pg_indexes_size('seats'), autovacuum_count
                                     FROM pg_stat_user_tables WHERE relname = 'seats'")"
        sleep 15
    done
}
sample "$(date +%s)" >"$run/samples.tsv" &
sampler_pid=$!

segments=()
for index in $(seq 1 $((minutes / segment))); do
    result=$(load $((segment * 60)) mixed "$pause" "segment-$index")
    segments+=("$result")
    echo "  minute $((index * segment)): $result" >&2
done
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""

{
    printf '{"taken": "%s", "minutes": %s, "connections": %s, "maximum": %s, "target_per_second": %s, "pause_ms": %s,\n' \
        "$(date -u +%FT%TZ)" "$minutes" "$connections" "$maximum" "$target" "$pause"
    printf ' "segment_minutes": %s, "segments": [%s],\n' "$segment" "$(IFS=,; echo "${segments[*]}")"
    printf ' "samples": %s}\n' "$(jq -R -s 'split("\n") | map(select(length > 0) | split("\t")) | .[0] as $head
        | .[1:] | map([$head, map(tonumber)] | transpose | map({(.[0]): .[1]}) | add)' "$run/samples.tsv")"
} >"$run/result.json"

# The figures of issue 18's soak, each with whether it is met.
jq -r --argjson per_segment "$((5 / segment))" '
  def f(n): (n * 10 | round / 10 | tostring);
  def p99(list): list | map(.p99_ms) | max;
  .minutes as $minutes | .segments as $s | .samples as $samples
  | ($samples | map(select(.seconds >= 60)) | first) as $after_first_minute | ($samples | last) as $final
  | "make soak — \(.taken): \(.minutes) min of the mixed load at \(.target_per_second)/s (half of the \(.maximum.requests / .maximum.seconds | round)/s measured), \(.connections) connections",
    "  checks: \([$s[].requests] | add) in \($minutes * 60) s: \([$s[].requests] | add / ($minutes * 60) | round)/s",
    "  errors: \([$s[] | .non_2xx + .socket_errors] | add) \(if ([$s[] | .non_2xx + .socket_errors] | add) == 0 then "(met)" else "(missed)" end)",
    "  pool RSS: \(f($after_first_minute.pool_rss_kib / 1024)) MiB after the first minute, \(f($final.pool_rss_kib / 1024)) MiB at the end: \(f(($final.pool_rss_kib / $after_first_minute.pool_rss_kib - 1) * 100)) % \(if $final.pool_rss_kib < 1.05 * $after_first_minute.pool_rss_kib then "(< 5 %: met)" else "(≥ 5 %: missed)" end)",
    "  p99 (the largest of the segments'\''): first five minutes \(p99($s[:$per_segment])) ms, last five \(p99($s[-$per_segment:])) ms \(if p99($s[-$per_segment:]) <= 1.2 * p99($s[:$per_segment]) then "(within 20 %: met)" else "(more than 20 % above: missed)" end); each segment: \([$s[].p99_ms] | map(tostring) | join(", ")) ms",
    "  seats: \($samples[0].seats_live) live rows at the start, \($final.seats_live) at the end (the admissions add them); table \(f($after_first_minute.table_bytes / 1048576)) → \(f($final.table_bytes / 1048576)) MiB, indexes \(f($after_first_minute.index_bytes / 1048576)) → \(f($final.index_bytes / 1048576)) MiB; bytes per live row \(($after_first_minute.table_bytes + $after_first_minute.index_bytes) / ([$after_first_minute.seats_live, 1] | max) | round) → \(($final.table_bytes + $final.index_bytes) / ([$final.seats_live, 1] | max) | round); dead rows at the end \($final.seats_dead) (the most: \($samples | map(.seats_dead) | max)); autovacuum ran \($final.autovacuums - $samples[0].autovacuums) times on seats",
    "",
    "(figures in .run/soak/result.json, samples every 15 s in .run/soak/samples.tsv)"' "$run/result.json"

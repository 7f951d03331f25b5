#!/usr/bin/env bash
# The one-screen summary of make bench, from .run/bench/result.json (written by scripts/bench.sh);
# adds the ratios to the ceilings to that file.
set -euo pipefail
result=${1:-.run/bench/result.json}
jq '
  . as $root
  | def run($name; $c): first($root.runs[] | select(.name == $name and .connections == $c));
  def rate: .requests / .seconds;
  (.pgbench_tps.refresh) as $db_refresh | (.pgbench_tps.admit) as $db_admit
  # The mix: pgbench runs 89 refreshes to 10 admissions; the 1 % invalid checks need no statement.
  | (.pgbench_tps.mix / 0.99) as $db_mixed
  | . + {ceilings: ([16, 64] | map({key: tostring, value: {
        nginx_return200: (run("return200"; .) | rate), libfcgi_c: (run("fastcgi-c"; .) | rate),
        database_refresh: $db_refresh, database_admit: $db_admit, database_mixed: $db_mixed}}) | from_entries)}
  | .ratios = [.runs[] | select(.name | IN("refresh", "admit", "mixed")) | . as $r
      | {name, connections,
         to_plumbing: (($r | rate) / (run("fastcgi-c"; $r.connections) | rate)),
         to_database: (($r | rate) / (if .name == "refresh" then $db_refresh elif .name == "admit" then $db_admit else $db_mixed end))}]
' "$result" >"$result.tmp" && mv "$result.tmp" "$result"

prelude='. as $root
  | def run($name; $c): first($root.runs[] | select(.name == $name and .connections == $c));
  def rate: .requests / .seconds;
  def f(n): (n * 10 | round / 10 | tostring);'
jq -r "$prelude"' "make bench — \(.taken), \(.machine), \(.workers) workers, \(.seconds_per_run) s per run", ""' "$result"
jq -r "$prelude"'
  (["run", "conn", "checks/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non-2xx", "sock err", "RSS MiB", "pool CPU ms/1k", "PostgreSQL", "nginx"] | @tsv),
  (.runs[] | [.name, .connections, (rate | round), .p50_ms, .p90_ms, .p99_ms, .max_ms, .non_2xx, .socket_errors,
              .pool_rss_mib, .pool_cpu_ms_per_1000_checks, .postgres_cpu_ms_per_1000_checks, .nginx_cpu_ms_per_1000_checks] | @tsv)' "$result" | column -t -s $'\t' -o '  '
jq -r "$prelude"' "",
  "ceilings at 64 connections: nginx alone \(.ceilings["64"].nginx_return200 | round)/s, C libfcgi \(.ceilings["64"].libfcgi_c | round)/s; database (pgbench, \(.workers) connections): refresh \(.pgbench_tps.refresh | round)/s, admit \(.pgbench_tps.admit | round)/s, the mix \(.ceilings["64"].database_mixed | round)/s",
  (.ratios[] | "  \(.name) @\(.connections): \(f(.to_plumbing * 100)) % of C libfcgi, \(f(.to_database * 100)) % of the database"),
  "",
  "targets (issue 18; ratios within this run):",
  ((1 / (1 / .ceilings["64"].libfcgi_c + 1 / .ceilings["64"].database_mixed)) as $combined
   | "  mixed @64 ≥ 0.85 of the combined ceiling 1/(1/fcgi + 1/pgbench) = \($combined | round)/s: \(f((run("mixed"; 64) | rate) / $combined * 100)) % \(if (run("mixed"; 64) | rate) >= 0.85 * $combined then "(met)" else "(missed)" end)"),
  ((run("fastcgi-c"; 64).pool_cpu_ms_per_1000_checks) as $c
   | "  pool CPU per check ≤ 1.3 × the C program'\''s per request: mixed @64 \(run("mixed"; 64).pool_cpu_ms_per_1000_checks) µs vs \($c) µs: \(f(run("mixed"; 64).pool_cpu_ms_per_1000_checks / $c)) × \(if run("mixed"; 64).pool_cpu_ms_per_1000_checks <= 1.3 * $c then "(met)" else "(missed)" end)"),
  ((0.99 * .pgbench_postgres_cpu_us.mix) as $db
   | "  PostgreSQL CPU per check ≤ 1.1 × per check of pgbench'\''s same mix: \(run("mixed"; 64).postgres_cpu_ms_per_1000_checks) µs vs \(f($db)) µs: \(f(run("mixed"; 64).postgres_cpu_ms_per_1000_checks / $db)) × \(if run("mixed"; 64).postgres_cpu_ms_per_1000_checks <= 1.1 * $db then "(met)" else "(missed)" end); refresh alone \(run("refresh"; 64).postgres_cpu_ms_per_1000_checks) µs vs \(.pgbench_postgres_cpu_us.refresh) µs"),
  "  p99 @64 < 10 ms: refresh \(run("refresh"; 64).p99_ms), mixed \(run("mixed"; 64).p99_ms) \(if run("refresh"; 64).p99_ms < 10 and run("mixed"; 64).p99_ms < 10 then "(met)" else "(missed)" end); admit \(run("admit"; 64).p99_ms). With 64 checks always in flight the mean latency is 64 / throughput (Little'\''s law): refresh \(f(64000 / (run("refresh"; 64) | rate))) ms, mixed \(f(64000 / (run("mixed"; 64) | rate))) ms; under 10 ms takes 6 400 checks/s",
  "  a realistic refresh, \(.spread_seats) distinct seats, each checked once in the run: \(run("refresh-spread"; 64) | rate | round)/s, p99 \(run("refresh-spread"; 64).p99_ms) ms; 10 000 seats over and over in the same state of the database: \(run("refresh-10k-seats"; 64) | rate | round)/s, p99 \(run("refresh-10k-seats"; 64).p99_ms) ms (\(f((run("refresh-spread"; 64) | rate) / (run("refresh-10k-seats"; 64) | rate) * 100)) %)",
  "  heartbeats of \(.heartbeat_instances) running instances (each checked in turn, over and over): \(run("heartbeat"; 64) | rate | round)/s, p99 \(run("heartbeat"; 64).p99_ms) ms, beside the realistic refresh'\''s \(run("refresh-spread"; 64) | rate | round)/s",
  "  pool RSS < 64 MiB with \(.workers) workers: \([.runs[] | select(.name != "return200" and .name != "fastcgi-c") | .pool_rss_mib] | max) MiB",
  "  refresh with \(.seats_at_end) seats within 20 % of 10 licenses: \(run("scale-1m-seats"; 64) | rate | round)/s vs \(run("scale-small"; 64) | rate | round)/s (\(f((run("scale-1m-seats"; 64) | rate) / (run("scale-small"; 64) | rate) * 100)) %)",
  "  signing (default realm): the signature of one answer \(.answer_signing.sign_us) µs in process (openssl speed: \(f(1000000 / .openssl_ed25519_signatures_per_second)) µs per Ed25519 signature; a client verifies in \(.answer_signing.verify_us) µs); pool CPU per check \(run("refresh-signed"; 64).pool_cpu_ms_per_1000_checks) µs signed, \(run("refresh-unsigned"; 64).pool_cpu_ms_per_1000_checks) µs unsigned in adjacent runs; refresh \(run("refresh-signed"; 64) | rate | round)/s signed, \(run("refresh-unsigned"; 64) | rate | round)/s unsigned",
  "  errors: \([.runs[] | .non_2xx + .socket_errors] | add) non-2xx or socket errors in all runs",
  "",
  "latency at a given load (the mixed load open-loop, 128 connections; target p99 < 10 ms at 50 %):",
  (.open_loop[] | "  \(.share) % of the closed loop'\''s mixed @64: \(.rate)/s asked, \(.achieved)/s answered, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, p99.9 \(.p999_ms) ms, max \(.max_ms) ms; \(.errors) errors, \(.status_4xx + .status_5xx) non-2xx\(if .share == 50 then (if .p99_ms < 10 then " (met)" else " (missed)" end) else "" end)"),
  "",
  "where an admission @64 waits: the pool'\''s database sessions, sampled every 20 ms (state, wait event, share of samples):",
  "  \([run("admit"; 64).waits[:8][] | "\(.state) \(.wait) \(.share) %"] | join(", "))",
  "  statements per admission: \([run("admit"; 64).statements[:3][] | "\(.calls_per_check) × \(.mean_us) µs \(.statement[:40])"] | join("; "))",
  "  and a mixed check @64'\''s sessions: \([run("mixed"; 64).waits[:6][] | "\(.state) \(.wait) \(.share) %"] | join(", "))",
  "",
  "where a mixed check @64 goes:",
  "  statements per check (pg_stat_statements: calls per check, mean execution µs):",
  (run("mixed"; 64).statements[:5][] | "    \(.calls_per_check) × \(.mean_us) µs  \(.statement)"),
  "  the pool'\''s CPU by library (perf, cpu-clock samples): \(if (.pool_perf_libraries | length) == 0 then "perf could not sample here" else [.pool_perf_libraries[:6][] | "\(.library) \(.share) %"] | join(", ") end)",
  "  system calls per check (strace -c, per accepted connection): pool \(.syscalls_per_request.pool | add | . * 10 | round / 10) (\(.syscalls_per_request.pool | to_entries | map(select(.value >= 0.01)) | sort_by(-.value) | map("\(.key) \(.value)") | join(", "))); the C program \(.syscalls_per_request.fastcgi_c | add | . * 10 | round / 10) (\(.syscalls_per_request.fastcgi_c | to_entries | map(select(.value >= 0.01)) | sort_by(-.value) | map("\(.key) \(.value)") | join(", ")))",
  "",
  "(figures in \(input_filename))"' "$result"

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
  | (1 / (0.89 / $db_refresh + 0.10 / $db_admit)) as $db_mixed
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
  (((0.89 * .pgbench_postgres_cpu_us.refresh + 0.10 * .pgbench_postgres_cpu_us.admit) / 0.99) as $db
   | "  PostgreSQL CPU per check ≤ 1.1 × per pgbench transaction of the same mix: \(run("mixed"; 64).postgres_cpu_ms_per_1000_checks) µs vs \(f($db)) µs: \(f(run("mixed"; 64).postgres_cpu_ms_per_1000_checks / $db)) × \(if run("mixed"; 64).postgres_cpu_ms_per_1000_checks <= 1.1 * $db then "(met)" else "(missed)" end)"),
  "  p99 @64 < 10 ms: refresh \(run("refresh"; 64).p99_ms), mixed \(run("mixed"; 64).p99_ms) \(if run("refresh"; 64).p99_ms < 10 and run("mixed"; 64).p99_ms < 10 then "(met)" else "(missed)" end); admit \(run("admit"; 64).p99_ms)",
  "  pool RSS < 64 MiB with \(.workers) workers: \([.runs[] | select(.name != "return200" and .name != "fastcgi-c") | .pool_rss_mib] | max) MiB",
  "  refresh with \(.seats_at_end) seats within 20 % of 10 licenses: \(run("scale-1m-seats"; 64) | rate | round)/s vs \(run("scale-small"; 64) | rate | round)/s (\(f((run("scale-1m-seats"; 64) | rate) / (run("scale-small"; 64) | rate) * 100)) %)",
  "  signing (default realm): the signature of one answer \(.answer_signing.sign_us) µs in process (openssl speed: \(f(1000000 / .openssl_ed25519_signatures_per_second)) µs per Ed25519 signature; a client verifies in \(.answer_signing.verify_us) µs); pool CPU per check \(run("refresh-signed"; 64).pool_cpu_ms_per_1000_checks) µs signed, \(run("refresh-unsigned"; 64).pool_cpu_ms_per_1000_checks) µs unsigned in adjacent runs; refresh \(run("refresh-signed"; 64) | rate | round)/s signed, \(run("refresh-unsigned"; 64) | rate | round)/s unsigned",
  "  errors: \([.runs[] | .non_2xx + .socket_errors] | add) non-2xx or socket errors in all runs",
  "",
  "(figures in \(input_filename))"' "$result"

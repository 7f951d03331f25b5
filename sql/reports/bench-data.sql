-- Synthetic data for the reports' speed check (scripts/bench-reports.sh, part of make bench):
-- 100 000 licenses, 1 000 000 active seats (10 per license), and 10 000 000 seat-days of
-- history (100 days × 100 000 licenses), plus denials and clients. Never run on a real database.
SET synchronous_commit = off;
SET TimeZone = 'UTC';
INSERT INTO licenses (realm, license_id, fingerprint, product, licensee, license_type, issuer, key_fields,
                      valid_from, valid_until, maintenance_from, maintenance_until)
SELECT 'bench', 'L' || i, md5(i::text), 'X-BENCH', 'Licensee ' || i, 'floating', 'default', 'X-BENCH id=L' || i,
       current_date - 300, current_date + (i % 700), current_date - 300, current_date + (i % 400)
FROM generate_series(1, 100000) i;
INSERT INTO license_scopes (realm, issuer, product, license_id, scope, rights, users, hosts)
SELECT 'bench', 'default', 'X-BENCH', 'L' || i, 'base', 20, 10, NULL FROM generate_series(1, 100000) i;
INSERT INTO seats (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash, first_seen, last_seen)
SELECT 'bench', 'default', 'X-BENCH', 'L' || i, 'base', sha256(('u' || i || '-' || u)::bytea), sha256(('u' || i || '-' || u)::bytea),
       sha256(('c' || i || '-' || u)::bytea), now() - interval '1 hour', now() - (u || ' minutes')::interval
FROM generate_series(1, 100000) i, generate_series(1, 10) u;
-- One license in a hundred comes near its users=10 now and then; the others stay below 6.
INSERT INTO usage_days (realm, issuer, product, license_id, scope, day, users, hosts, peak_users, peak_hosts, peak_rights, checks, denials,
                        users_limit, hosts_limit, rights_limit)
SELECT 'bench', 'default', 'X-BENCH', 'L' || i, 'base', current_date - d, (i + d) % 11, (i + d) % 11, p, p, p + 1, 100 + (i + d) % 50, (i + d) % 3, 10, NULL, 20
FROM generate_series(1, 100000) i, generate_series(0, 99) d,
     LATERAL (SELECT CASE WHEN i % 100 = 0 THEN (i * 7 + d) % 11 ELSE (i * 7 + d) % 6 END AS p) peak;
INSERT INTO usage_months (realm, issuer, product, license_id, scope, month, users, hosts, peak_users, peak_hosts, peak_rights, checks, denials)
SELECT 'bench', 'default', 'X-BENCH', 'L' || i, 'base', (date_trunc('month', current_date) - m * interval '1 month')::date, 12, 12, 6, 6, 7, 4000, 30
FROM generate_series(1, 100000) i, generate_series(0, 3) m;
INSERT INTO denial_days (realm, issuer, product, license_id, day, reason, denials)
SELECT 'bench', 'default', 'X-BENCH', 'L' || i, current_date - d, (ARRAY['users', 'hosts', 'rights', 'expired'])[1 + (i + d) % 4], 1 + (i % 5)
FROM generate_series(1, 100000, 97) i, generate_series(0, 99, 3) d;
INSERT INTO license_clients (realm, issuer, product, license_id, domain, revision, first_seen, last_seen, checks)
SELECT 'bench', 'default', 'X-BENCH', 'L' || i, 'host' || (i % 1000) || '.example.com', '7.' || r, now() - interval '90 days', now() - (r || ' days')::interval, 1000
FROM generate_series(1, 100000) i, generate_series(1, 3) r;
ANALYZE;

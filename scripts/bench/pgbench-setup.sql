-- Licenses and known seats for the database ceiling of make bench (realm 'pgbench'): 1 000
-- licenses with room, 10 seats each, whose hashes pgbench can compute.
SET synchronous_commit = off;
INSERT INTO licenses (realm, license_id, fingerprint, product, license_type, issuer, key_fields)
SELECT 'pgbench', 'P' || i, md5(i::text), 'X-BENCH', 'floating', 'default', 'X-BENCH id=P' || i
FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING;
INSERT INTO license_scopes (realm, issuer, product, license_id, scope, users)
SELECT 'pgbench', 'default', 'X-BENCH', 'P' || i, 'base', 1000000000 FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING;
INSERT INTO seats (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash)
SELECT 'pgbench', 'default', 'X-BENCH', 'P' || i, 'base', sha256(('pgb-' || i || '-' || u)::bytea), sha256(('pgb-' || i || '-' || u)::bytea),
       sha256(('pgb-' || i || '-' || u)::bytea)
FROM generate_series(1, 1000) i, generate_series(1, 10) u ON CONFLICT DO NOTHING;
-- Every seat's computer bound to its license, for pgbench-refresh-bound.sql.
INSERT INTO bindings (realm, issuer, product, license_id, computer_hash)
SELECT 'pgbench', 'default', 'X-BENCH', 'P' || i, sha256(('pgb-' || i || '-' || u)::bytea)
FROM generate_series(1, 1000) i, generate_series(1, 10) u ON CONFLICT DO NOTHING;
ANALYZE seats;
ANALYZE bindings;

-- The scaling run of make bench: 100 000 more licenses with 10 active seats each (1 000 000
-- seats) beside the ones being checked (realm 'filler').
SET synchronous_commit = off;
INSERT INTO licenses (realm, license_id, fingerprint, product, license_type, issuer, key_fields)
SELECT 'filler', 'F' || i, md5(i::text), 'X-BENCH', 'floating', 'default', 'X-BENCH id=F' || i
FROM generate_series(1, 100000) i ON CONFLICT DO NOTHING;
INSERT INTO license_scopes (realm, issuer, product, license_id, scope, users)
SELECT 'filler', 'default', 'X-BENCH', 'F' || i, 'base', 100 FROM generate_series(1, 100000) i ON CONFLICT DO NOTHING;
INSERT INTO seats (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash, first_seen, last_seen)
SELECT 'filler', 'default', 'X-BENCH', 'F' || i, 'base', sha256(('f-' || i || '-' || u)::bytea), sha256(('f-' || i || '-' || u)::bytea),
       sha256(('f-' || i || '-' || u)::bytea), now(), now()
FROM generate_series(1, 100000) i, generate_series(1, 10) u ON CONFLICT DO NOTHING;
VACUUM ANALYZE licenses, license_scopes, seats;
-- Write the load out now, not during the measured run.
CHECKPOINT;

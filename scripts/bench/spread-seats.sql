-- make bench's realistic refresh: USERS seats (psql -v users=1000) on each of the bench's LICENSES
-- (-v licenses=1000: bench-1 … bench-1000, the keys of keys-1000.txt), active now, for the users
-- "bench-spread-LLLLLL-UUUUUU" that checks.lua's spread mode sends. Their hashes are the
-- pool's (ServerSecret.hash: HMAC-SHA-256 of "user:ID", "instance:ID", "computer:ID" under the
-- server secret, psql -v secret=…), so that every check finds its seat; pgcrypto's hmac makes
-- them (the bench's own cluster; a production database needs no extension).
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SET synchronous_commit = off;
INSERT INTO seats (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash, first_seen, last_seen)
SELECT 'default', 'default', 'X-BENCH', 'bench-' || l, 'base',
       hmac('user:' || id, :'secret', 'sha256'), hmac('instance:' || id, :'secret', 'sha256'),
       hmac('computer:' || id, :'secret', 'sha256'), now(), now()
FROM generate_series(1, :licenses) AS l, generate_series(1, :users) AS u,
     LATERAL (SELECT format('bench-spread-%s-%s', lpad(l::text, 6, '0'), lpad(u::text, 6, '0')) AS id) AS ids
ON CONFLICT DO NOTHING;
ANALYZE seats;

-- What the pool runs for a check of a new user on a license with room (SeatStore's refresh_seat,
-- which finds nothing, then admit_seat, which locks the license, counts and inserts, committed
-- synchronously; keep in step with SeatStore.swift and sql/009_instance_lease.sql), on the
-- bench's own 1 000 licenses (bench-1 … bench-1000), so that it counts the seats the pool's
-- admissions counted.
\set license random(1, 1000)
\set user random(1, 1000000000000)
WITH revocation AS (
    SELECT (EXISTS (SELECT FROM revocations WHERE license_id = 'bench-' || :license AND (realm IS NULL OR realm = 'default'))
            OR EXISTS (SELECT FROM revocations WHERE fingerprint = '0123456789abcdef' AND (realm IS NULL OR realm = 'default'))) AS revoked
), refreshed AS (
    UPDATE seats SET last_seen = now()
    WHERE realm = 'default' AND issuer = 'default' AND product = 'X-BENCH' AND license_id = 'bench-' || :license
      AND scope = ANY ('{""}'::text[]) AND user_hash = sha256(('new-' || :user)::bytea)
      AND instance_hash = sha256(('new-' || :user)::bytea) AND computer_hash = sha256(('new-' || :user)::bytea)
      AND last_seen > CASE WHEN false THEN (SELECT now() - instance_lease FROM leases) ELSE (SELECT now() - seat_lease FROM leases) END
      AND NOT (SELECT revoked FROM revocation)
    RETURNING 1
)
SELECT (SELECT revoked FROM revocation) AS revoked, (SELECT count(*) FROM refreshed) AS refreshed;
SELECT outcome, refused_scope
FROM admit_seat('default', 'default', 'X-BENCH', 'bench-' || :license, '{""}', '{1000000000}', '{NULL}', '{NULL}',
                sha256(('new-' || :user)::bytea), sha256(('new-' || :user)::bytea), sha256(('new-' || :user)::bytea));

-- What the pool runs for a check of a new user on a license with room (SeatStore's refresh_seat,
-- which finds nothing, then admit_seat, which locks the license, counts and inserts, committed
-- synchronously; keep in step with SeatStore.swift and sql/007_license_identity.sql).
\set license random(1, 1000)
\set user random(1, 1000000000000)
WITH revocation AS (
    SELECT (EXISTS (SELECT FROM revocations WHERE license_id = 'P' || :license AND (realm IS NULL OR realm = 'pgbench'))
            OR EXISTS (SELECT FROM revocations WHERE fingerprint = '0123456789abcdef' AND (realm IS NULL OR realm = 'pgbench'))) AS revoked
), refreshed AS (
    UPDATE seats SET last_seen = now()
    WHERE realm = 'pgbench' AND issuer = 'default' AND product = 'X-BENCH' AND license_id = 'P' || :license
      AND scope = ANY ('{""}'::text[]) AND user_hash = sha256(('new-' || :user)::bytea)
      AND instance_hash = sha256(('new-' || :user)::bytea) AND computer_hash = sha256(('new-' || :user)::bytea)
      AND last_seen > now() - (SELECT seat_lease FROM leases) AND NOT (SELECT revoked FROM revocation)
    RETURNING 1
)
SELECT (SELECT revoked FROM revocation) AS revoked, (SELECT count(*) FROM refreshed) AS refreshed;
SELECT outcome, refused_scope
FROM admit_seat('pgbench', 'default', 'X-BENCH', 'P' || :license, '{""}', '{1000000000}', '{NULL}', '{NULL}',
                sha256(('new-' || :user)::bytea), sha256(('new-' || :user)::bytea), sha256(('new-' || :user)::bytea));

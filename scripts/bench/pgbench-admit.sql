-- What the pool runs for a check of a new user on a license with room (SeatStore's refresh_seat,
-- which finds nothing, then lock_license, count_active and admit_seat in a
-- transaction committed synchronously; keep in step with SeatStore.swift).
\set license random(1, 1000)
\set user random(1, 1000000000000)
WITH revocation AS (
    SELECT EXISTS (SELECT 1 FROM revocations WHERE license_id = 'P' || :license AND (realm IS NULL OR realm = 'pgbench')) AS revoked
), refreshed AS (
    UPDATE seats SET last_seen = now(), computer_hash = sha256(('new-' || :user)::bytea)
    WHERE realm = 'pgbench' AND license_id = 'P' || :license AND scope = ANY ('{""}'::text[]) AND user_hash = sha256(('new-' || :user)::bytea)
      AND instance_hash = sha256(('new-' || :user)::bytea) AND last_seen > now() - '86400 seconds'::interval AND NOT (SELECT revoked FROM revocation)
    RETURNING 1
)
SELECT (SELECT revoked FROM revocation) AS revoked, (SELECT count(*) FROM refreshed) AS refreshed;
BEGIN;
SET LOCAL synchronous_commit = on;
SELECT 1 FROM licenses WHERE realm = 'pgbench' AND license_id = 'P' || :license FOR UPDATE;
SELECT scope, count(*) AS rights, count(DISTINCT user_hash) AS users, count(DISTINCT computer_hash) AS hosts,
       coalesce(bool_or(user_hash = sha256(('new-' || :user)::bytea)), false) AS user_present,
       coalesce(bool_or(computer_hash = sha256(('new-' || :user)::bytea)), false) AS computer_present,
       coalesce(bool_or(user_hash = sha256(('new-' || :user)::bytea) AND instance_hash = sha256(('new-' || :user)::bytea)), false) AS seat_present
FROM seats
WHERE realm = 'pgbench' AND license_id = 'P' || :license AND scope = ANY ('{""}'::text[]) AND last_seen > now() - '86400 seconds'::interval
GROUP BY scope;
INSERT INTO seats (realm, license_id, scope, user_hash, instance_hash, computer_hash, first_seen, last_seen)
SELECT 'pgbench', 'P' || :license, scope, sha256(('new-' || :user)::bytea), sha256(('new-' || :user)::bytea),
       sha256(('new-' || :user)::bytea), now(), now() FROM unnest('{""}'::text[]) AS scope
ON CONFLICT (realm, license_id, scope, user_hash, instance_hash) DO UPDATE SET
    first_seen = CASE WHEN seats.last_seen > now() - '86400 seconds'::interval THEN seats.first_seen ELSE now() END,
    last_seen = now(), computer_hash = EXCLUDED.computer_hash;
COMMIT;

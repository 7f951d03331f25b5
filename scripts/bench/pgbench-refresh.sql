-- What the pool runs for a check of a known active seat (SeatStore's refresh_seat: revocation of
-- the license or the key, and the refresh, in one statement; keep in step with
-- Sources/LicenseStore/SeatStore.swift), on the 10 seats of each of the 1 000 licenses of
-- realm 'pgbench' (pgbench-setup.sql), whose hashes pgbench can compute.
\set license random(1, 1000)
\set user random(1, 10)
WITH revocation AS (
    SELECT (EXISTS (SELECT FROM revocations WHERE license_id = 'P' || :license AND (realm IS NULL OR realm = 'pgbench'))
            OR EXISTS (SELECT FROM revocations WHERE fingerprint = '0123456789abcdef' AND (realm IS NULL OR realm = 'pgbench'))) AS revoked
), refreshed AS (
    UPDATE seats SET last_seen = now()
    WHERE realm = 'pgbench' AND issuer = 'default' AND product = 'X-BENCH' AND license_id = 'P' || :license
      AND scope = ANY ('{""}'::text[]) AND user_hash = sha256(('pgb-' || :license || '-' || :user)::bytea)
      AND instance_hash = sha256(('pgb-' || :license || '-' || :user)::bytea)
      AND computer_hash = sha256(('pgb-' || :license || '-' || :user)::bytea)
      AND last_seen > CASE WHEN false THEN (SELECT now() - instance_lease FROM leases) ELSE (SELECT now() - seat_lease FROM leases) END
      AND NOT (SELECT revoked FROM revocation)
    RETURNING 1
)
SELECT (SELECT revoked FROM revocation) AS revoked, (SELECT count(*) FROM refreshed) AS refreshed;

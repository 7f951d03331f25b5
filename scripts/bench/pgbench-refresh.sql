-- What the pool runs for a check of a known active seat (SeatStore's refresh_seat,
-- revocation and refresh in one statement; keep in step with Sources/LicenseService/SeatStore.swift).
\set license random(1, 1000)
\set user random(1, 10)
WITH revocation AS (
    SELECT EXISTS (SELECT 1 FROM revocations WHERE license_id = 'P' || :license AND (realm IS NULL OR realm = 'pgbench')) AS revoked
), refreshed AS (
    UPDATE seats SET last_seen = now(), computer_hash = sha256(('pgb-' || :license || '-' || :user)::bytea)
    WHERE realm = 'pgbench' AND license_id = 'P' || :license AND scope = ANY ('{""}'::text[]) AND user_hash = sha256(('pgb-' || :license || '-' || :user)::bytea)
      AND instance_hash = sha256(('pgb-' || :license || '-' || :user)::bytea) AND last_seen > now() - '86400 seconds'::interval AND NOT (SELECT revoked FROM revocation)
    RETURNING 1
)
SELECT (SELECT revoked FROM revocation) AS revoked, (SELECT count(*) FROM refreshed) AS refreshed;

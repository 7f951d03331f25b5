-- Handles (SPEC §15): how staff name a seat and a computer without any raw ID, which the
-- database does not have. 12 hex digits of the keyed hashes: the same seat (user, instance and
-- computer) or computer always shows the same handle, and a handle names nothing outside this
-- database. Used by the report views, licensectl seats and licensectl free.

CREATE FUNCTION seat_handle(user_hash bytea, instance_hash bytea, computer_hash bytea) RETURNS text
LANGUAGE sql IMMUTABLE
    AS $$ SELECT encode(substring(sha256(user_hash || instance_hash || computer_hash) FROM 1 FOR 6), 'hex') $$;
COMMENT ON FUNCTION seat_handle(bytea, bytea, bytea) IS 'A seat''s handle: 12 hex digits of SHA-256 of its user, instance and computer hashes (the same in every scope).';

CREATE FUNCTION computer_handle(computer_hash bytea) RETURNS text
LANGUAGE sql IMMUTABLE
    AS $$ SELECT encode(substring(computer_hash FROM 1 FOR 6), 'hex') $$;
COMMENT ON FUNCTION computer_handle(bytea) IS 'A computer''s handle: the first 12 hex digits of its keyed hash.';
GRANT EXECUTE ON FUNCTION seat_handle(bytea, bytea, bytea), computer_handle(bytea) TO license_pool, license_reporter;

-- licensectl free: ends the license's seats named by their handles, or last seen longer ago than
-- older_than, in every scope, at once for every pool (the next check of a freed seat is an
-- admission). license_realm NULL: every realm. Returns how many seats (handles) it ended.
CREATE FUNCTION free_seats(license_realm text, license text, handles text[], older_than interval) RETURNS bigint
LANGUAGE sql
AS $$
    WITH freed AS (
        DELETE FROM seats s
        WHERE (license_realm IS NULL OR s.realm = license_realm) AND s.license_id = license
          AND (seat_handle(s.user_hash, s.instance_hash, s.computer_hash) = ANY (handles) OR s.last_seen < now() - older_than)
        RETURNING seat_handle(s.user_hash, s.instance_hash, s.computer_hash) AS handle
    )
    SELECT count(DISTINCT handle) FROM freed;
$$;
COMMENT ON FUNCTION free_seats(text, text, text[], interval) IS 'licensectl free: ends the license''s seats of those handles, or last seen before now() - older_than, in every scope; how many seats it ended.';
REVOKE ALL ON FUNCTION free_seats(text, text, text[], interval) FROM PUBLIC;

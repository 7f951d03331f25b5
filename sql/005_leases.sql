-- The lease, in one place (SPEC §4 rule 9: a seat is active while it was checked within it).
--
-- It used to live in three: a parameter of each pool statement, a service_settings row that
-- every pool overwrote as text (license_pool could write any text there, and one that was no
-- interval broke every report view), and active_lease(), which read that text. Now the lease is
-- this table's typed, checked column; every statement, function and view reads it here; and a
-- pool changes it only through set_leases(), which it may call but not bypass. Several pools
-- on one database thus always agree on which seats are active.
--
-- One row, one column per duration: the instance lease of SPEC §8 becomes a second column
-- (with a CHECK that it is at most the seat lease) and a second parameter of set_leases().

CREATE TABLE leases (
    only_row   boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    seat_lease interval    NOT NULL DEFAULT interval '24 hours'
        CHECK (seat_lease >= interval '1 second' AND seat_lease <= interval '3650 days'),
    set_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE leases IS 'How long a seat stays active without a check: one row, set by the pools (license-server --lease) through set_leases().';
COMMENT ON COLUMN leases.seat_lease IS 'A seat counts for users, hosts and rights while it was checked within this (--lease).';
COMMENT ON COLUMN leases.set_at IS 'When a pool last set it.';

-- The lease the pools last wrote, when it was an interval in range; else the default.
DO $$
DECLARE
    kept interval;
BEGIN
    BEGIN
        SELECT value::interval INTO kept FROM service_settings WHERE name = 'lease';
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        kept := NULL;
    END;
    IF kept IS NULL OR kept < interval '1 second' OR kept > interval '3650 days' THEN
        kept := interval '24 hours';
    END IF;
    INSERT INTO leases (seat_lease) VALUES (kept);
END
$$;

-- Sets the lease (the pool's --lease, at its start) and returns the one it replaces, so that a
-- pool can say when pools disagree. The CHECK refuses what is out of range.
CREATE FUNCTION set_leases(seat interval, OUT previous_seat_lease interval) LANGUAGE sql
SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
    UPDATE leases AS l SET seat_lease = seat, set_at = now()
    FROM (SELECT seat_lease FROM leases) AS before
    RETURNING before.seat_lease;
$$;
COMMENT ON FUNCTION set_leases(interval) IS 'Sets the seat lease (license-server --lease); returns the previous one.';

CREATE OR REPLACE FUNCTION active_lease() RETURNS interval LANGUAGE sql STABLE
    AS $$ SELECT seat_lease FROM leases $$;
COMMENT ON FUNCTION active_lease() IS 'How long a seat stays active without a check (leases.seat_lease, the pools'' --lease).';

DROP TABLE service_settings;

ALTER TABLE leases OWNER TO license_owner;
ALTER FUNCTION set_leases(interval) OWNER TO license_owner;
REVOKE ALL ON FUNCTION set_leases(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_leases(interval) TO license_pool;
-- Read by the pool's statements and, through active_lease(), by the report views.
GRANT SELECT ON leases TO license_pool, license_reporter;

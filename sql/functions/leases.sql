-- The leases (SPEC §4 rule 9, §8), read from the one row of `leases` and nowhere else. What
-- "active" means is defined once, here:
--
--   active_since(at)           both moments below in one row (take_seat's, on every check)
--   seat_active_since(at)      a seat counts for users and hosts if its last_seen is after this
--   instance_active_since(at)  a seat counts for rights (a running instance) if its last_seen is after this
--   seat_counts(...)           whether a seat counts for users and hosts at a moment: checked after
--                              seat_after, or borrowed past the moment (SPEC §14)
--   right_counts(...)          whether it holds its right: checked after instance_after (and the
--                              scope's linger, SPEC §15), borrowed, or released within the linger
--
-- Every function and view that asks whether a seat is active asks seat_counts with these.

-- A set-returning SQL function, so that PostgreSQL inlines it into the query that calls it: a
-- read of the leases row, no call.
CREATE FUNCTION active_since(at timestamptz) RETURNS TABLE (seat_after timestamptz, instance_after timestamptz)
LANGUAGE sql STABLE ROWS 1
    AS $$ SELECT at - seat_lease, at - instance_lease FROM leases $$;
COMMENT ON FUNCTION active_since(timestamptz) IS 'At moment at: a seat counts for users and hosts if its last_seen is after seat_after, for rights if after instance_after.';

-- One expression each, IMMUTABLE and without a table: PostgreSQL inlines them into every query.
-- Never NULL (a seat that was never borrowed has no borrowed_until), so that NOT seat_counts(…)
-- is the seats that do not count.
--
-- For users and hosts: checked within the seat lease (after), or borrowed past the moment (SPEC
-- §14); a released seat (kept only for its lingering right, SPEC §15) does not count.
CREATE FUNCTION seat_counts(seen timestamptz, borrowed timestamptz, released timestamptz, after timestamptz, at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT released IS NULL AND (seen > after OR coalesce(borrowed > at, false)) $$;
COMMENT ON FUNCTION seat_counts(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz) IS
    'Whether a seat (last_seen, borrowed_until, released_at) counts for users and hosts at moment at: checked after after (the seat lease before at), or borrowed past at; never once released.';

-- For rights: checked within the instance lease and the scope's linger, or borrowed past the
-- moment; released, for the linger after its release (SPEC §15).
CREATE FUNCTION right_counts(seen timestamptz, borrowed timestamptz, released timestamptz, instance_after timestamptz,
                             linger interval, at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN released IS NOT NULL THEN released > at - coalesce(linger, interval '0')
                      ELSE seen > instance_after - coalesce(linger, interval '0') OR coalesce(borrowed > at, false) END $$;
COMMENT ON FUNCTION right_counts(timestamptz, timestamptz, timestamptz, timestamptz, interval, timestamptz) IS
    'Whether a seat holds its right at moment at: checked within the instance lease (after instance_after) and the scope''s linger, or borrowed past at; released, for the linger after its release.';

-- PL/pgSQL rather than SQL: a scalar SQL function that reads a table is not inlined, and would be
-- parsed and planned at every call; PL/pgSQL keeps its statement's plan for the session. As the
-- owner (SECURITY DEFINER), so that the report views that call them need no right on `leases`:
-- license_reporter reads views and nothing else (SPEC §12).
CREATE FUNCTION seat_active_since(at timestamptz) RETURNS timestamptz LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ BEGIN RETURN (SELECT seat_after FROM active_since(at)); END $$;
COMMENT ON FUNCTION seat_active_since(timestamptz) IS 'At moment at, a seat counts for users and hosts if its last_seen is after this (at minus the seat lease).';

CREATE FUNCTION instance_active_since(at timestamptz) RETURNS timestamptz LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ BEGIN RETURN (SELECT instance_after FROM active_since(at)); END $$;
COMMENT ON FUNCTION instance_active_since(timestamptz) IS 'At moment at, a seat counts for rights if its last_seen is after this (at minus the instance lease).';

-- Sets both leases at once (a pool's --lease and --instance-lease, at its start), so that the
-- CHECK sees the pair, and returns the ones they replace, so that a pool can say when pools
-- disagree. A pool may call it but not write the table.
CREATE FUNCTION set_leases(seat interval, instance interval, OUT previous_seat_lease interval, OUT previous_instance_lease interval)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
    UPDATE leases AS l SET seat_lease = seat, instance_lease = instance, set_at = now()
    FROM (SELECT seat_lease, instance_lease FROM leases) AS before
    RETURNING before.seat_lease, before.instance_lease;
$$;
COMMENT ON FUNCTION set_leases(interval, interval) IS 'Sets the seat lease (--lease) and the instance lease (--instance-lease); returns the previous ones.';
REVOKE ALL ON FUNCTION set_leases(interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_leases(interval, interval) TO license_pool;

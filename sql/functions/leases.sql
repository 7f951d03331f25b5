-- The leases (SPEC §4 rule 9, §8), read from the one row of `leases` and nowhere else. What
-- "active" means is defined once, here:
--
--   active_since(at)           both moments below in one row (take_seat's, on every check)
--   seat_active_since(at)      a seat counts for users and hosts if its last_seen is after this
--   instance_active_since(at)  a seat counts for rights (a running instance) if its last_seen is after this
--   seat_counts(...)           whether a seat counts at a moment: checked after one of those, or
--                              borrowed past the moment (SPEC §14)
--
-- Every function and view that asks whether a seat is active asks seat_counts with these.

-- A set-returning SQL function, so that PostgreSQL inlines it into the query that calls it: a
-- read of the leases row, no call.
CREATE FUNCTION active_since(at timestamptz) RETURNS TABLE (seat_after timestamptz, instance_after timestamptz)
LANGUAGE sql STABLE ROWS 1
    AS $$ SELECT at - seat_lease, at - instance_lease FROM leases $$;
COMMENT ON FUNCTION active_since(timestamptz) IS 'At moment at: a seat counts for users and hosts if its last_seen is after seat_after, for rights if after instance_after.';

-- One expression, IMMUTABLE and without a table: PostgreSQL inlines it into every query. Never
-- NULL (a seat that was never borrowed has no borrowed_until), so that NOT seat_counts(…) is the
-- seats that do not count.
CREATE FUNCTION seat_counts(seen timestamptz, borrowed timestamptz, after timestamptz, at timestamptz) RETURNS boolean
LANGUAGE sql IMMUTABLE
    AS $$ SELECT seen > after OR coalesce(borrowed > at, false) $$;
COMMENT ON FUNCTION seat_counts(timestamptz, timestamptz, timestamptz, timestamptz) IS
    'Whether a seat (its last_seen and borrowed_until) counts at moment at: checked after after (a lease before at), or borrowed past at.';

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

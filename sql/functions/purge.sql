-- licensectl purge, in short transactions: licensectl calls these in a loop, each call its own
-- transaction, until they remove nothing, so that no call holds many row locks or dead rows
-- while pools serve.

-- Up to `batch` seats that are past the lease, not borrowed, and not needed for this month's
-- distinct counts.
CREATE FUNCTION purge_lapsed_seats(batch integer) RETURNS bigint LANGUAGE sql
SET TimeZone = 'UTC'
AS $$
    WITH gone AS (
        DELETE FROM seats s WHERE s.ctid = ANY (ARRAY(
            SELECT ctid FROM seats
            WHERE last_seen < least(seat_active_since(now()), date_trunc('month', now()))
              AND NOT coalesce(borrowed_until > now(), false)
            LIMIT batch))
        RETURNING 1
    )
    SELECT count(*) FROM gone;
$$;
COMMENT ON FUNCTION purge_lapsed_seats(integer) IS 'licensectl purge: removes up to batch seats that are past the lease and not needed for this month''s distinct counts; 0 when none is left.';

-- Up to `batch` history rows older than `age`: days, then months, denials and clients.
CREATE FUNCTION purge_history(age interval, batch integer) RETURNS bigint LANGUAGE plpgsql
SET TimeZone = 'UTC'
AS $$
DECLARE
    removed bigint;
BEGIN
    DELETE FROM usage_days WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM usage_days WHERE day < (now() - age)::date LIMIT batch));
    GET DIAGNOSTICS removed = ROW_COUNT;
    IF removed > 0 THEN RETURN removed; END IF;
    DELETE FROM usage_months WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM usage_months WHERE month < date_trunc('month', now() - age)::date LIMIT batch));
    GET DIAGNOSTICS removed = ROW_COUNT;
    IF removed > 0 THEN RETURN removed; END IF;
    DELETE FROM denial_days WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM denial_days WHERE day < (now() - age)::date LIMIT batch));
    GET DIAGNOSTICS removed = ROW_COUNT;
    IF removed > 0 THEN RETURN removed; END IF;
    DELETE FROM license_clients WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM license_clients WHERE last_seen < now() - age LIMIT batch));
    GET DIAGNOSTICS removed = ROW_COUNT;
    IF removed > 0 THEN RETURN removed; END IF;
    -- Unbindings count for 30 days (SPEC §13): never purged younger, whatever the age asked.
    DELETE FROM unbindings WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM unbindings WHERE unbound_at < now() - greatest(age, interval '30 days') LIMIT batch));
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;
COMMENT ON FUNCTION purge_history(interval, integer) IS 'licensectl purge: removes up to batch history rows older than age (days, months, denials, clients, unbindings past their 30 days, in that order); 0 when none is left.';
REVOKE ALL ON FUNCTION purge_lapsed_seats(integer), purge_history(interval, integer) FROM PUBLIC;

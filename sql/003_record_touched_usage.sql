-- record_usage for the scopes a pool touched. Rolling every seat up each minute cost about
-- 5 s of one core with 1.3 million seats (make bench), and that cost grew with seats nobody was
-- checking. Between full roll-ups, a pool now passes the (realm, license, scope) it counted
-- checks for in the past minute: only a check raises a day's distinct counts or a peak (seats
-- that lapse or are released only lower the current figures, and days and months keep their
-- maxima), so the other scopes have nothing to add. The pool still rolls everything up at
-- start, at each new UTC day (the new day's peaks include seats nobody has checked yet) and
-- once an hour. A check is counted only after its seat has committed, so a scope whose
-- commit a roll-up did not see is counted in the next minute's batch and rolled up then.

DROP FUNCTION record_usage(timestamptz);

CREATE FUNCTION record_usage(at timestamptz DEFAULT now(), realms text[] DEFAULT NULL, licenses text[] DEFAULT NULL,
                             scopes text[] DEFAULT NULL) RETURNS void LANGUAGE sql
SET TimeZone = 'UTC'
-- The planner's estimates count the branch that is skipped; compiling for them cost more than
-- a roll-up of a minute's scopes.
SET jit = off
AS $$
    WITH window_ AS (
        SELECT date_trunc('day', at) AS day_start, date_trunc('month', at) AS month_start, at - active_lease() AS active_after
    ), chosen AS (
        -- Every seat, or (the One-Time Filter skips the other branch) those of the given scopes,
        -- each found through the seats' primary key prefix.
        SELECT t.realm, t.license_id, t.scope, t.user_hash, t.computer_hash, t.last_seen
        FROM seats t
        WHERE licenses IS NULL
        UNION ALL
        SELECT t.realm, t.license_id, t.scope, t.user_hash, t.computer_hash, t.last_seen
        FROM (SELECT DISTINCT * FROM unnest(realms, licenses, scopes)) AS g(realm, license_id, scope)
        JOIN seats t ON t.realm = g.realm AND t.license_id = g.license_id AND t.scope = g.scope
        WHERE licenses IS NOT NULL
    ), counted AS (
        SELECT t.realm, t.license_id, t.scope,
               count(DISTINCT t.user_hash) FILTER (WHERE t.last_seen >= w.day_start) AS users,
               count(DISTINCT t.computer_hash) FILTER (WHERE t.last_seen >= w.day_start) AS hosts,
               count(DISTINCT t.user_hash) FILTER (WHERE t.last_seen > w.active_after) AS peak_users,
               count(DISTINCT t.computer_hash) FILTER (WHERE t.last_seen > w.active_after) AS peak_hosts,
               count(*) FILTER (WHERE t.last_seen > w.active_after) AS peak_rights,
               count(DISTINCT t.user_hash) AS month_users, count(DISTINCT t.computer_hash) AS month_hosts
        FROM chosen t, window_ w
        WHERE t.last_seen <= at AND t.last_seen >= least(w.month_start, w.active_after)
        GROUP BY t.realm, t.license_id, t.scope
    ), days AS (
        INSERT INTO usage_days AS u (realm, license_id, scope, day, users, hosts, peak_users, peak_hosts, peak_rights,
                                     users_limit, hosts_limit, rights_limit)
        SELECT c.realm, c.license_id, c.scope, date_trunc('day', at)::date, c.users, c.hosts, c.peak_users, c.peak_hosts,
               c.peak_rights, s.users, s.hosts, s.rights
        FROM counted c
        LEFT JOIN license_scopes s USING (realm, license_id, scope)
        WHERE c.users > 0 OR c.peak_rights > 0
        ON CONFLICT (realm, license_id, scope, day) DO UPDATE SET
            users = greatest(u.users, excluded.users), hosts = greatest(u.hosts, excluded.hosts),
            peak_users = greatest(u.peak_users, excluded.peak_users), peak_hosts = greatest(u.peak_hosts, excluded.peak_hosts),
            peak_rights = greatest(u.peak_rights, excluded.peak_rights),
            users_limit = excluded.users_limit, hosts_limit = excluded.hosts_limit, rights_limit = excluded.rights_limit
    )
    INSERT INTO usage_months AS m (realm, license_id, scope, month, users, hosts, peak_users, peak_hosts, peak_rights)
    SELECT realm, license_id, scope, date_trunc('month', at)::date, month_users, month_hosts, peak_users, peak_hosts, peak_rights
    FROM counted c, window_ w
    WHERE c.month_users > 0
    ON CONFLICT (realm, license_id, scope, month) DO UPDATE SET
        users = greatest(m.users, excluded.users), hosts = greatest(m.hosts, excluded.hosts),
        peak_users = greatest(m.peak_users, excluded.peak_users), peak_hosts = greatest(m.peak_hosts, excluded.peak_hosts),
        peak_rights = greatest(m.peak_rights, excluded.peak_rights);
$$;
COMMENT ON FUNCTION record_usage(timestamptz, text[], text[], text[]) IS
    'Rolls active seats up into usage_days and usage_months for the day and month of at: all of them, or only the scopes named by the arrays (realm, license, scope of equal length); run by the pool each minute.';

REVOKE ALL ON FUNCTION record_usage(timestamptz, text[], text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_usage(timestamptz, text[], text[], text[]) TO license_pool;

-- Usage history (sql/reports/README.md): grows with licenses × days × scopes, never with the
-- number of checks. The pool counts checks, denials and client domains in memory and adds them
-- in one statement a minute (add_usage_counts); once a minute one pool also rolls the seats up
-- into the day's and month's distinct users and hosts, samples the peaks of active seats and
-- keeps "in use now" for the console (record_usage). Days and months are UTC.

-- Adds a pool's counts of the past minute. A license adds at most new_clients_per_day new
-- (domain, revision) rows a UTC day (the pool's UsageCounts.newClientsPerLicenseAndDay): a client that sends a new revision or domain with every check cannot grow the
-- table without bound. Two pools writing at the same moment may each add up to the bound.
CREATE FUNCTION add_usage_counts(
    scope_realms text[], scope_issuers text[], scope_products text[], scope_licenses text[], scope_names text[],
    scope_days date[], scope_checks bigint[], scope_denials bigint[],
    denial_realms text[], denial_issuers text[], denial_products text[], denial_licenses text[], denial_days_ date[],
    denial_reasons text[], denial_counts bigint[],
    client_realms text[], client_issuers text[], client_products text[], client_licenses text[], client_domains text[],
    client_revisions text[], client_first timestamptz[], client_last timestamptz[], client_checks bigint[],
    new_clients_per_day integer
) RETURNS void LANGUAGE sql
SET TimeZone = 'UTC'
AS $$
    INSERT INTO usage_days AS u (realm, issuer, product, license_id, scope, day, checks, denials)
    SELECT * FROM unnest(scope_realms, scope_issuers, scope_products, scope_licenses, scope_names, scope_days, scope_checks,
                         scope_denials)
    ON CONFLICT (realm, issuer, product, license_id, scope, day) DO UPDATE SET
        checks = u.checks + excluded.checks, denials = u.denials + excluded.denials;

    INSERT INTO usage_months AS m (realm, issuer, product, license_id, scope, month, checks, denials)
    SELECT realm, issuer, product, license_id, scope, date_trunc('month', day)::date, sum(checks), sum(denials)
    FROM unnest(scope_realms, scope_issuers, scope_products, scope_licenses, scope_names, scope_days, scope_checks,
                scope_denials) AS g(realm, issuer, product, license_id, scope, day, checks, denials)
    GROUP BY realm, issuer, product, license_id, scope, date_trunc('month', day)::date
    ON CONFLICT (realm, issuer, product, license_id, scope, month) DO UPDATE SET
        checks = m.checks + excluded.checks, denials = m.denials + excluded.denials;

    INSERT INTO denial_days AS d (realm, issuer, product, license_id, day, reason, denials)
    SELECT * FROM unnest(denial_realms, denial_issuers, denial_products, denial_licenses, denial_days_, denial_reasons,
                         denial_counts)
    ON CONFLICT (realm, issuer, product, license_id, day, reason) DO UPDATE SET denials = d.denials + excluded.denials;

    INSERT INTO license_clients AS c (realm, issuer, product, license_id, domain, revision, first_seen, last_seen, checks)
    SELECT realm, issuer, product, license_id, domain, revision, first_seen, last_seen, checks
    FROM (
        SELECT g.*, row_number() OVER (PARTITION BY g.realm, g.issuer, g.product, g.license_id, g.known
                                       ORDER BY g.checks DESC, g.domain, g.revision) AS newcomer
        FROM (
            SELECT n.*, EXISTS (SELECT FROM license_clients k
                                WHERE (k.realm, k.issuer, k.product, k.license_id, k.domain, k.revision)
                                    = (n.realm, n.issuer, n.product, n.license_id, n.domain, n.revision)) AS known
            FROM unnest(client_realms, client_issuers, client_products, client_licenses, client_domains, client_revisions,
                        client_first, client_last, client_checks)
                 AS n(realm, issuer, product, license_id, domain, revision, first_seen, last_seen, checks)
        ) AS g
    ) AS r
    WHERE known OR newcomer + (SELECT count(*) FROM license_clients k
                               WHERE (k.realm, k.issuer, k.product, k.license_id) = (r.realm, r.issuer, r.product, r.license_id)
                                 AND k.first_seen >= date_trunc('day', now())) <= new_clients_per_day
    ON CONFLICT (realm, issuer, product, license_id, domain, revision) DO UPDATE SET
        first_seen = least(c.first_seen, excluded.first_seen), last_seen = greatest(c.last_seen, excluded.last_seen),
        checks = c.checks + excluded.checks;
$$;
COMMENT ON FUNCTION add_usage_counts IS 'Adds one pool''s batched check, denial and client counts (called once a minute per pool); at most new_clients_per_day new clients per license and UTC day.';

REVOKE ALL ON FUNCTION add_usage_counts FROM PUBLIC;
GRANT EXECUTE ON FUNCTION add_usage_counts TO license_pool;

-- Rolls the seats up into usage_days, usage_months and usage_now for the day and month of `at`:
-- distinct users and hosts that checked from the start of that day (month) until `at`, and the
-- users, hosts and seats active at `at`, kept as peaks. Values only grow (greatest), so every
-- pool may run it and a run after a seat was purged loses nothing already counted. Between full
-- roll-ups (at start, at each new UTC day, hourly) a pool passes only the scopes it counted
-- checks for in the past minute: only a check raises a day's distinct counts or a peak.
CREATE FUNCTION record_usage(at timestamptz DEFAULT now(), realms text[] DEFAULT NULL, issuers text[] DEFAULT NULL,
                             products text[] DEFAULT NULL, licenses text[] DEFAULT NULL, scopes text[] DEFAULT NULL)
RETURNS void LANGUAGE sql
SET TimeZone = 'UTC'
-- The planner's estimates count the branch that is skipped; compiling for them cost more than
-- a roll-up of a minute's scopes.
SET jit = off
AS $$
    WITH window_ AS (
        SELECT date_trunc('day', at) AS day_start, date_trunc('month', at) AS month_start, seat_active_since(at) AS active_after,
               instance_active_since(at) AS instance_after
    ), chosen AS (
        -- Every seat, or (the One-Time Filter skips the other branch) those of the given scopes,
        -- each found through the seats' primary key prefix.
        SELECT t.realm, t.issuer, t.product, t.license_id, t.scope, t.user_hash, t.computer_hash, t.last_seen, t.rights, t.borrowed_until,
               t.released_at
        FROM seats t
        WHERE licenses IS NULL
        UNION ALL
        SELECT t.realm, t.issuer, t.product, t.license_id, t.scope, t.user_hash, t.computer_hash, t.last_seen, t.rights, t.borrowed_until,
               t.released_at
        FROM (SELECT DISTINCT * FROM unnest(realms, issuers, products, licenses, scopes)) AS g(realm, issuer, product, license_id, scope)
        JOIN seats t ON t.realm = g.realm AND t.issuer = g.issuer AND t.product = g.product AND t.license_id = g.license_id
                    AND t.scope = g.scope
        WHERE licenses IS NOT NULL
    ), counted AS (
        SELECT t.realm, t.issuer, t.product, t.license_id, t.scope,
               count(DISTINCT t.user_hash) FILTER (WHERE t.last_seen >= w.day_start) AS users,
               count(DISTINCT t.computer_hash) FILTER (WHERE t.last_seen >= w.day_start) AS hosts,
               count(DISTINCT t.user_hash) FILTER (WHERE seat_counts(t.last_seen, t.borrowed_until, t.released_at, w.active_after, at)) AS peak_users,
               count(DISTINCT t.computer_hash) FILTER (WHERE seat_counts(t.last_seen, t.borrowed_until, t.released_at, w.active_after, at)) AS peak_hosts,
               coalesce(sum(t.rights) FILTER (WHERE right_counts(t.last_seen, t.borrowed_until, t.released_at, w.instance_after,
                                                                  l.linger, at)), 0) AS peak_rights,
               count(DISTINCT t.user_hash) AS month_users, count(DISTINCT t.computer_hash) AS month_hosts
        FROM chosen t
        LEFT JOIN license_scopes l USING (realm, issuer, product, license_id, scope)
        CROSS JOIN window_ w
        WHERE t.last_seen <= at AND (t.last_seen >= least(w.month_start, w.active_after) OR t.borrowed_until > at)
        GROUP BY t.realm, t.issuer, t.product, t.license_id, t.scope
    ), now_ AS (
        -- In use now: the active users, computers and rights just counted.
        INSERT INTO usage_now AS n (realm, issuer, product, license_id, scope, users, hosts, rights, counted_at)
        SELECT c.realm, c.issuer, c.product, c.license_id, c.scope, c.peak_users, c.peak_hosts, c.peak_rights, at
        FROM counted c
        ON CONFLICT (realm, issuer, product, license_id, scope) DO UPDATE SET
            users = excluded.users, hosts = excluded.hosts, rights = excluded.rights, counted_at = excluded.counted_at
    ), days AS (
        INSERT INTO usage_days AS u (realm, issuer, product, license_id, scope, day, users, hosts, peak_users, peak_hosts,
                                     peak_rights, users_limit, hosts_limit, rights_limit)
        SELECT c.realm, c.issuer, c.product, c.license_id, c.scope, date_trunc('day', at)::date, c.users, c.hosts,
               c.peak_users, c.peak_hosts, c.peak_rights, s.users, s.hosts, s.rights
        FROM counted c
        LEFT JOIN license_scopes s USING (realm, issuer, product, license_id, scope)
        WHERE c.users > 0 OR c.peak_rights > 0
        ON CONFLICT (realm, issuer, product, license_id, scope, day) DO UPDATE SET
            users = greatest(u.users, excluded.users), hosts = greatest(u.hosts, excluded.hosts),
            peak_users = greatest(u.peak_users, excluded.peak_users), peak_hosts = greatest(u.peak_hosts, excluded.peak_hosts),
            peak_rights = greatest(u.peak_rights, excluded.peak_rights),
            users_limit = excluded.users_limit, hosts_limit = excluded.hosts_limit, rights_limit = excluded.rights_limit
    )
    INSERT INTO usage_months AS m (realm, issuer, product, license_id, scope, month, users, hosts, peak_users, peak_hosts,
                                   peak_rights)
    SELECT realm, issuer, product, license_id, scope, date_trunc('month', at)::date, month_users, month_hosts, peak_users,
           peak_hosts, peak_rights
    FROM counted c, window_ w
    WHERE c.month_users > 0
    ON CONFLICT (realm, issuer, product, license_id, scope, month) DO UPDATE SET
        users = greatest(m.users, excluded.users), hosts = greatest(m.hosts, excluded.hosts),
        peak_users = greatest(m.peak_users, excluded.peak_users), peak_hosts = greatest(m.peak_hosts, excluded.peak_hosts),
        peak_rights = greatest(m.peak_rights, excluded.peak_rights);

    -- A scope rolled up now that no seat of this month or lease counted any more: nothing is active.
    UPDATE usage_now n SET users = 0, hosts = 0, rights = 0, counted_at = at
    WHERE n.counted_at < at
      AND (licenses IS NULL OR (n.realm, n.issuer, n.product, n.license_id, n.scope) IN
           (SELECT * FROM unnest(realms, issuers, products, licenses, scopes)));
    -- Overdraft (SPEC §15): each scope rolled up now that has an overdraft= is sampled, per kind of
    -- limit, for how many seats it is past the limit; the seat-seconds since the previous sample
    -- (at that sample's level) and the peak go to the UTC day of at (report_overdraft).
    WITH sampled AS (
        SELECT n.realm, n.issuer, n.product, n.license_id, n.scope, k.kind, greatest(k.active - k.limit_value, 0) AS over
        FROM usage_now n
        JOIN license_scopes s USING (realm, issuer, product, license_id, scope)
        CROSS JOIN LATERAL (VALUES ('users', n.users, s.users), ('hosts', n.hosts, s.hosts), ('rights', n.rights, s.rights))
            AS k(kind, active, limit_value)
        WHERE s.overdraft IS NOT NULL AND k.limit_value IS NOT NULL AND n.counted_at = at
          AND (licenses IS NULL OR (n.realm, n.issuer, n.product, n.license_id, n.scope) IN
               (SELECT * FROM unnest(realms, issuers, products, licenses, scopes)))
    ), paired AS (
        SELECT c.*, p.over AS previous_over, greatest(extract(epoch FROM at - p.sampled_at), 0)::bigint AS seconds_since
        FROM sampled c
        LEFT JOIN overdraft_now p ON p.realm = c.realm AND p.issuer = c.issuer AND p.product = c.product
                                 AND p.license_id = c.license_id AND p.scope = c.scope AND p.limit_kind = c.kind
    ), kept AS (
        INSERT INTO overdraft_now AS o (realm, issuer, product, license_id, scope, limit_kind, over, sampled_at)
        SELECT realm, issuer, product, license_id, scope, kind, over, at FROM paired
        ON CONFLICT (realm, license_id, issuer, product, scope, limit_kind) DO UPDATE SET
            over = excluded.over, sampled_at = greatest(o.sampled_at, excluded.sampled_at)
    )
    INSERT INTO overdraft_days AS d (realm, issuer, product, license_id, scope, day, limit_kind, peak_over, seat_seconds_over)
    SELECT realm, issuer, product, license_id, scope, date_trunc('day', at)::date, kind, over,
           coalesce(previous_over * seconds_since, 0)
    FROM paired
    WHERE over > 0 OR coalesce(previous_over, 0) > 0
    ON CONFLICT (realm, license_id, issuer, product, scope, day, limit_kind) DO UPDATE SET
        peak_over = greatest(d.peak_over, excluded.peak_over),
        seat_seconds_over = d.seat_seconds_over + excluded.seat_seconds_over;
    -- Each license rolled up: its fullest limit over its scopes (NULL: it sets no limit).
    INSERT INTO license_fullness AS f (realm, issuer, product, license_id, percent_used, counted_at)
    SELECT s.realm, s.issuer, s.product, s.license_id,
           round(max(100.0 * greatest(coalesce(n.users, 0)::numeric / nullif(s.users, 0),
                                      coalesce(n.hosts, 0)::numeric / nullif(s.hosts, 0),
                                      coalesce(n.rights, 0)::numeric / nullif(s.rights, 0))), 1),
           at
    FROM license_scopes s
    LEFT JOIN usage_now n USING (realm, issuer, product, license_id, scope)
    WHERE licenses IS NULL OR (s.realm, s.issuer, s.product, s.license_id) IN
          (SELECT * FROM unnest(realms, issuers, products, licenses))
    GROUP BY s.realm, s.issuer, s.product, s.license_id
    ON CONFLICT (realm, issuer, product, license_id) DO UPDATE SET
        percent_used = excluded.percent_used, counted_at = excluded.counted_at;
$$;
COMMENT ON FUNCTION record_usage(timestamptz, text[], text[], text[], text[], text[]) IS 'Rolls active seats up into usage_days, usage_months and usage_now (with license_fullness) for the day and month of at; every seat, or those of the given license scopes. Run by the pool each minute.';

REVOKE ALL ON FUNCTION record_usage(timestamptz, text[], text[], text[], text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_usage(timestamptz, text[], text[], text[], text[], text[]) TO license_pool;

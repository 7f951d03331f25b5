-- "In use now" kept per license scope, for the console's list of licenses, the fullest first
-- (SPEC §12). Counting the active seats of 100 000 licenses on every page load took about two
-- seconds; record_usage() counts them anyway, each minute for the scopes a pool checked and
-- every scope hourly, so it now also keeps:
--
--   usage_now         per license scope: the users, computers and rights active when last counted
--   license_fullness  per license: its fullest limit in percent, indexed, so that "the fullest
--                     first" reads the first rows of an index
--
-- The figures are as of counted_at (at most a minute old for a license in use); the console says
-- so. report_usage_now still counts live, for one license or a DBA's query. A license appears in
-- license_fullness at the first roll-up after its registration: the next minute if it is
-- checked, the next full roll-up (an hour at most, and every pool start) if not.

CREATE TABLE usage_now (
    realm text NOT NULL,
    issuer text NOT NULL,
    product text NOT NULL,
    license_id text NOT NULL,
    scope text NOT NULL,
    users integer NOT NULL,
    hosts integer NOT NULL,
    rights integer NOT NULL,
    counted_at timestamptz NOT NULL,
    PRIMARY KEY (realm, issuer, product, license_id, scope)
);
COMMENT ON TABLE usage_now IS 'Active users, computers and rights per license scope as record_usage() last counted them (counted_at).';

CREATE TABLE license_fullness (
    realm text NOT NULL,
    issuer text NOT NULL,
    product text NOT NULL,
    license_id text NOT NULL,
    percent_used numeric,
    counted_at timestamptz NOT NULL,
    PRIMARY KEY (realm, issuer, product, license_id)
);
COMMENT ON TABLE license_fullness IS 'Per license, its fullest limit in percent over its scopes when last counted; NULL when it sets no limit.';
CREATE INDEX license_fullness_fullest ON license_fullness (percent_used DESC NULLS LAST, realm, license_id, issuer, product);

ALTER TABLE usage_now OWNER TO license_owner;
ALTER TABLE license_fullness OWNER TO license_owner;
-- record_usage() runs as the pool.
GRANT SELECT, INSERT, UPDATE ON usage_now, license_fullness TO license_pool;

CREATE OR REPLACE FUNCTION record_usage(at timestamptz DEFAULT now(), realms text[] DEFAULT NULL, issuers text[] DEFAULT NULL,
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
        SELECT t.realm, t.issuer, t.product, t.license_id, t.scope, t.user_hash, t.computer_hash, t.last_seen
        FROM seats t
        WHERE licenses IS NULL
        UNION ALL
        SELECT t.realm, t.issuer, t.product, t.license_id, t.scope, t.user_hash, t.computer_hash, t.last_seen
        FROM (SELECT DISTINCT * FROM unnest(realms, issuers, products, licenses, scopes)) AS g(realm, issuer, product, license_id, scope)
        JOIN seats t ON t.realm = g.realm AND t.issuer = g.issuer AND t.product = g.product AND t.license_id = g.license_id
                    AND t.scope = g.scope
        WHERE licenses IS NOT NULL
    ), counted AS (
        SELECT t.realm, t.issuer, t.product, t.license_id, t.scope,
               count(DISTINCT t.user_hash) FILTER (WHERE t.last_seen >= w.day_start) AS users,
               count(DISTINCT t.computer_hash) FILTER (WHERE t.last_seen >= w.day_start) AS hosts,
               count(DISTINCT t.user_hash) FILTER (WHERE t.last_seen > w.active_after) AS peak_users,
               count(DISTINCT t.computer_hash) FILTER (WHERE t.last_seen > w.active_after) AS peak_hosts,
               count(*) FILTER (WHERE t.last_seen > w.instance_after) AS peak_rights,
               count(DISTINCT t.user_hash) AS month_users, count(DISTINCT t.computer_hash) AS month_hosts
        FROM chosen t, window_ w
        WHERE t.last_seen <= at AND t.last_seen >= least(w.month_start, w.active_after)
        GROUP BY t.realm, t.issuer, t.product, t.license_id, t.scope
    ), now_ AS (
        -- In use now: the active users, computers and rights just counted (usage_now, 010).
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

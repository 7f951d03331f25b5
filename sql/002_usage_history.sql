-- Usage history, the DBA's report views, and the roles around them (sql/reports/README.md).
--
-- History grows with licenses × days × scopes, never with the number of checks: the pool
-- counts checks, denials and client domains in memory and adds them here in one batched
-- statement a minute (and when it stops); once a minute one pool also rolls the seats up into
-- the day's and the month's distinct users and hosts and samples the peaks of active seats
-- (record_usage). Days and months are UTC.

-- Roles. license_owner owns every object; licensectl migrate runs the migrations after this one
-- as it (SET ROLE). license_pool (001) gets what its statements need; license_reporter reads
-- the report views and nothing else: no hashes, no secrets, no key text.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'license_owner') THEN
        CREATE ROLE license_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'license_reporter') THEN
        CREATE ROLE license_reporter NOLOGIN;
    END IF;
END
$$;
ALTER TABLE licenses OWNER TO license_owner;
ALTER TABLE license_scopes OWNER TO license_owner;
ALTER TABLE seats OWNER TO license_owner;
ALTER TABLE revocations OWNER TO license_owner;
ALTER TABLE schema_migrations OWNER TO license_owner;

-- The pool's lease, written by every pool at start, so that SQL knows which seats are active.
CREATE TABLE service_settings (
    name  text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO service_settings VALUES ('lease', '24 hours');
COMMENT ON TABLE service_settings IS 'Settings of the running pools that reports need: lease (the pool''s --lease).';

CREATE FUNCTION active_lease() RETURNS interval LANGUAGE sql STABLE
    AS $$ SELECT coalesce((SELECT value::interval FROM service_settings WHERE name = 'lease'), interval '24 hours') $$;
COMMENT ON FUNCTION active_lease() IS 'How long a seat stays active without a check (the pool''s --lease).';

-- One row per license, scope and UTC day.
CREATE TABLE usage_days (
    realm       text    NOT NULL,
    license_id  text    NOT NULL,
    scope       text    NOT NULL,
    day         date    NOT NULL,
    users       integer NOT NULL DEFAULT 0,
    hosts       integer NOT NULL DEFAULT 0,
    peak_users  integer NOT NULL DEFAULT 0,
    peak_hosts  integer NOT NULL DEFAULT 0,
    peak_rights integer NOT NULL DEFAULT 0,
    checks      bigint  NOT NULL DEFAULT 0,
    denials     bigint  NOT NULL DEFAULT 0,
    users_limit  bigint,
    hosts_limit  bigint,
    rights_limit bigint,
    PRIMARY KEY (realm, license_id, scope, day)
);
COMMENT ON TABLE usage_days IS 'Usage of each license scope per UTC day; kept until licensectl purge --older-than.';
COMMENT ON COLUMN usage_days.users IS 'Distinct users that checked this scope that day.';
COMMENT ON COLUMN usage_days.hosts IS 'Distinct computers that checked this scope that day.';
COMMENT ON COLUMN usage_days.peak_users IS 'Most users holding an active seat at once (sampled each minute).';
COMMENT ON COLUMN usage_days.peak_hosts IS 'Most computers holding an active seat at once (sampled each minute).';
COMMENT ON COLUMN usage_days.peak_rights IS 'Most active seats (running instances) at once (sampled each minute).';
COMMENT ON COLUMN usage_days.checks IS 'Checks that asked for this scope.';
COMMENT ON COLUMN usage_days.denials IS 'Checks refused; a refusal for a limit counts in the scope that lacked room, others in the base scope.';
COMMENT ON COLUMN usage_days.users_limit IS 'The scope''s users= limit when the day was rolled up; NULL: none.';
COMMENT ON COLUMN usage_days.hosts_limit IS 'The scope''s hosts= limit when the day was rolled up; NULL: none.';
COMMENT ON COLUMN usage_days.rights_limit IS 'The scope''s rights= limit when the day was rolled up; NULL: none.';
-- Reports over a period across all licenses ("yesterday", "the last 30 days") read by day.
CREATE INDEX usage_days_by_day ON usage_days (day);
-- The few days on which a scope came near a limit, for report_near_limit.
CREATE INDEX usage_days_near_limit ON usage_days (day)
    WHERE peak_users * 10 >= users_limit * 9 OR peak_hosts * 10 >= hosts_limit * 9 OR peak_rights * 10 >= rights_limit * 9;

-- Distinct users and hosts per month, which no sum of days gives.
CREATE TABLE usage_months (
    realm      text    NOT NULL,
    license_id text    NOT NULL,
    scope      text    NOT NULL,
    month       date    NOT NULL,
    users       integer NOT NULL DEFAULT 0,
    hosts       integer NOT NULL DEFAULT 0,
    peak_users  integer NOT NULL DEFAULT 0,
    peak_hosts  integer NOT NULL DEFAULT 0,
    peak_rights integer NOT NULL DEFAULT 0,
    checks      bigint  NOT NULL DEFAULT 0,
    denials     bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (realm, license_id, scope, month)
);
COMMENT ON TABLE usage_months IS 'Usage of each license scope per UTC month (month = its first day), kept beside the days so that a month reads one row.';
COMMENT ON COLUMN usage_months.users IS 'Distinct users that checked this scope in the month (no sum of days gives it).';
COMMENT ON COLUMN usage_months.hosts IS 'Distinct computers that checked this scope in the month.';
COMMENT ON COLUMN usage_months.peak_users IS 'Most users holding an active seat at once in the month.';
COMMENT ON COLUMN usage_months.peak_hosts IS 'Most computers holding an active seat at once in the month.';
COMMENT ON COLUMN usage_months.peak_rights IS 'Most active seats at once in the month.';
COMMENT ON COLUMN usage_months.checks IS 'Checks that asked for this scope in the month.';
COMMENT ON COLUMN usage_months.denials IS 'Checks refused in the month.';
CREATE INDEX usage_months_by_month ON usage_months (month);

CREATE TABLE denial_days (
    realm      text   NOT NULL,
    license_id text   NOT NULL,
    day        date   NOT NULL,
    reason     text   NOT NULL,
    denials    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (realm, license_id, day, reason)
);
COMMENT ON TABLE denial_days IS 'Refused checks per license, UTC day and reason.';
COMMENT ON COLUMN denial_days.license_id IS 'The license; the empty string for keys that failed before their signature verified (malformed-key, unsupported-field, unknown-issuer, bad-signature), which name no license one can trust.';
CREATE INDEX denial_days_by_day ON denial_days (day);

CREATE TABLE license_clients (
    realm      text        NOT NULL,
    license_id text        NOT NULL,
    domain     text        NOT NULL,
    revision   text        NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    checks     bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (realm, license_id, domain, revision)
);
COMMENT ON TABLE license_clients IS 'Domains and program revisions that checked each license (valid or refused after the signature verified).';

-- Rolls the seats up into usage_days and usage_months for the day and month of `at`: distinct
-- users and hosts that checked from the start of that day (month) until `at`, and the users,
-- hosts and seats active at `at`, kept as peaks. Values only grow (GREATEST), so every pool may
-- run it and a run after a seat was purged loses nothing already counted.
CREATE FUNCTION record_usage(at timestamptz DEFAULT now()) RETURNS void LANGUAGE sql
SET TimeZone = 'UTC'
AS $$
    WITH window_ AS (
        SELECT date_trunc('day', at) AS day_start, date_trunc('month', at) AS month_start, at - active_lease() AS active_after
    ), counted AS (
        SELECT t.realm, t.license_id, t.scope,
               count(DISTINCT t.user_hash) FILTER (WHERE t.last_seen >= w.day_start) AS users,
               count(DISTINCT t.computer_hash) FILTER (WHERE t.last_seen >= w.day_start) AS hosts,
               count(DISTINCT t.user_hash) FILTER (WHERE t.last_seen > w.active_after) AS peak_users,
               count(DISTINCT t.computer_hash) FILTER (WHERE t.last_seen > w.active_after) AS peak_hosts,
               count(*) FILTER (WHERE t.last_seen > w.active_after) AS peak_rights,
               count(DISTINCT t.user_hash) AS month_users, count(DISTINCT t.computer_hash) AS month_hosts
        FROM seats t, window_ w
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
COMMENT ON FUNCTION record_usage(timestamptz) IS 'Rolls active seats up into usage_days and usage_months for the day and month of at; run by the pool each minute.';

-- Adds a pool's counts of the past minute: checks and denials per scope and day, denials per
-- reason, domains and revisions. Arrays of equal length, one element per counted key.
CREATE FUNCTION add_usage_counts(
    scope_realms text[], scope_licenses text[], scope_names text[], scope_days date[], scope_checks bigint[], scope_denials bigint[],
    denial_realms text[], denial_licenses text[], denial_days_ date[], denial_reasons text[], denial_counts bigint[],
    client_realms text[], client_licenses text[], client_domains text[], client_revisions text[],
    client_first timestamptz[], client_last timestamptz[], client_checks bigint[]
) RETURNS void LANGUAGE sql
AS $$
    INSERT INTO usage_days AS u (realm, license_id, scope, day, checks, denials)
    SELECT * FROM unnest(scope_realms, scope_licenses, scope_names, scope_days, scope_checks, scope_denials)
    ON CONFLICT (realm, license_id, scope, day) DO UPDATE SET
        checks = u.checks + excluded.checks, denials = u.denials + excluded.denials;

    INSERT INTO usage_months AS m (realm, license_id, scope, month, checks, denials)
    SELECT realm, license_id, scope, date_trunc('month', day)::date, sum(checks), sum(denials)
    FROM unnest(scope_realms, scope_licenses, scope_names, scope_days, scope_checks, scope_denials)
         AS g(realm, license_id, scope, day, checks, denials)
    GROUP BY realm, license_id, scope, date_trunc('month', day)::date
    ON CONFLICT (realm, license_id, scope, month) DO UPDATE SET
        checks = m.checks + excluded.checks, denials = m.denials + excluded.denials;

    INSERT INTO denial_days AS d (realm, license_id, day, reason, denials)
    SELECT * FROM unnest(denial_realms, denial_licenses, denial_days_, denial_reasons, denial_counts)
    ON CONFLICT (realm, license_id, day, reason) DO UPDATE SET denials = d.denials + excluded.denials;

    INSERT INTO license_clients AS c (realm, license_id, domain, revision, first_seen, last_seen, checks)
    SELECT * FROM unnest(client_realms, client_licenses, client_domains, client_revisions, client_first, client_last, client_checks)
    ON CONFLICT (realm, license_id, domain, revision) DO UPDATE SET
        first_seen = least(c.first_seen, excluded.first_seen), last_seen = greatest(c.last_seen, excluded.last_seen),
        checks = c.checks + excluded.checks;
$$;
COMMENT ON FUNCTION add_usage_counts IS 'Adds one pool''s batched check, denial and client counts (called once a minute per pool).';

-- Removes expired seats and history older than `age` (licensectl purge), in batches so that it
-- never holds many row locks while the pool serves. A seat goes only when it is no longer
-- active and not needed for this month's distinct counts; the day and month it belongs to are
-- rolled up first.
CREATE FUNCTION purge_usage(age interval, OUT seats bigint, OUT history bigint) LANGUAGE plpgsql
SET TimeZone = 'UTC'
AS $$
DECLARE
    removed bigint;
BEGIN
    PERFORM record_usage(now());
    seats := 0;
    LOOP
        DELETE FROM seats s WHERE s.ctid = ANY (ARRAY(
            SELECT ctid FROM seats
            WHERE last_seen < least(now() - active_lease(), date_trunc('month', now()))
            LIMIT 50000));
        GET DIAGNOSTICS removed = ROW_COUNT;
        seats := seats + removed;
        EXIT WHEN removed = 0;
    END LOOP;
    DELETE FROM usage_days WHERE day < (now() - age)::date;
    GET DIAGNOSTICS removed = ROW_COUNT;
    history := removed;
    DELETE FROM usage_months WHERE month < date_trunc('month', now() - age)::date;
    GET DIAGNOSTICS removed = ROW_COUNT;
    history := history + removed;
    DELETE FROM denial_days WHERE day < (now() - age)::date;
    GET DIAGNOSTICS removed = ROW_COUNT;
    history := history + removed;
    DELETE FROM license_clients WHERE last_seen < now() - age;
    GET DIAGNOSTICS removed = ROW_COUNT;
    history := history + removed;
END
$$;
COMMENT ON FUNCTION purge_usage(interval) IS 'licensectl purge: expired seats (kept while this month''s distinct counts need them) and history older than age.';

-- A refresh changes only last_seen and computer_hash. With no index on either, PostgreSQL can
-- update the row in place (a HOT update: no new index entries, less WAL, no index bloat from
-- seats checked many times a day), given room on the page. Active seats of a license scope are
-- found through the primary key's prefix (realm, license_id, scope) instead.
DROP INDEX seats_by_scope_and_time;
ALTER TABLE seats SET (fillfactor = 80);

-- The report views (sql/reports/README.md). Each shows licenses by realm, id, product and licensee,
-- and scopes as 'base' or the option's name.

CREATE VIEW report_usage_now AS
SELECT l.realm, l.license_id, l.product, l.licensee,
       CASE s.scope WHEN '' THEN 'base' ELSE s.scope END AS scope,
       s.users AS users_limit, coalesce(a.users, 0) AS users_active,
       s.hosts AS hosts_limit, coalesce(a.hosts, 0) AS hosts_active,
       s.rights AS rights_limit, coalesce(a.rights, 0) AS rights_active,
       round(100.0 * greatest(coalesce(a.users, 0)::numeric / s.users, coalesce(a.hosts, 0)::numeric / s.hosts,
                              coalesce(a.rights, 0)::numeric / s.rights), 1) AS percent_used
FROM licenses l
JOIN license_scopes s USING (realm, license_id)
LEFT JOIN LATERAL (
    SELECT count(DISTINCT user_hash) AS users, count(DISTINCT computer_hash) AS hosts, count(*) AS rights
    FROM seats t
    WHERE t.realm = s.realm AND t.license_id = s.license_id AND t.scope = s.scope
      AND t.last_seen > (SELECT now() - active_lease())
) a ON true;
COMMENT ON VIEW report_usage_now IS 'Usage now: per license and scope, each limit beside the users, hosts and rights active now.';
COMMENT ON COLUMN report_usage_now.scope IS 'base for the product itself, else the option''s name.';
COMMENT ON COLUMN report_usage_now.users_limit IS 'users= of the key; NULL: no limit.';
COMMENT ON COLUMN report_usage_now.users_active IS 'Distinct users holding an active seat (checked within the lease).';
COMMENT ON COLUMN report_usage_now.hosts_limit IS 'hosts= of the key; NULL: no limit.';
COMMENT ON COLUMN report_usage_now.hosts_active IS 'Distinct computers holding an active seat.';
COMMENT ON COLUMN report_usage_now.rights_limit IS 'rights= of the key; NULL: no limit.';
COMMENT ON COLUMN report_usage_now.rights_active IS 'Active seats: running instances.';
COMMENT ON COLUMN report_usage_now.percent_used IS 'The highest of active / limit over the limits the key sets, in percent; NULL without limits.';

CREATE VIEW report_usage_by_day AS
SELECT u.realm, u.license_id, l.product, l.licensee, CASE u.scope WHEN '' THEN 'base' ELSE u.scope END AS scope, u.day,
       u.users, u.hosts, u.peak_users, u.peak_hosts, u.peak_rights, u.checks, u.denials
FROM usage_days u
LEFT JOIN licenses l USING (realm, license_id);
COMMENT ON VIEW report_usage_by_day IS 'Usage by UTC day: per license and scope, distinct users and hosts, peaks of concurrent use, checks and denials.';
COMMENT ON COLUMN report_usage_by_day.scope IS 'base for the product itself, else the option''s name.';
COMMENT ON COLUMN report_usage_by_day.users IS 'Distinct users that checked that day.';
COMMENT ON COLUMN report_usage_by_day.hosts IS 'Distinct computers that checked that day.';
COMMENT ON COLUMN report_usage_by_day.peak_users IS 'Most users with an active seat at once (sampled each minute).';
COMMENT ON COLUMN report_usage_by_day.peak_hosts IS 'Most computers with an active seat at once (sampled each minute).';
COMMENT ON COLUMN report_usage_by_day.peak_rights IS 'Most active seats at once: peak concurrent rights (sampled each minute).';
COMMENT ON COLUMN report_usage_by_day.checks IS 'Checks asking for this scope.';
COMMENT ON COLUMN report_usage_by_day.denials IS 'Checks refused (see report_denials_by_day for reasons).';

CREATE VIEW report_usage_by_month AS
SELECT m.realm, m.license_id, l.product, l.licensee, CASE m.scope WHEN '' THEN 'base' ELSE m.scope END AS scope, m.month,
       m.users, m.hosts, m.peak_users, m.peak_hosts, m.peak_rights, m.checks, m.denials
FROM usage_months m
LEFT JOIN licenses l USING (realm, license_id);
COMMENT ON VIEW report_usage_by_month IS 'Usage by UTC month (month = its first day): per license and scope, distinct users and hosts, peaks, checks and denials.';
COMMENT ON COLUMN report_usage_by_month.scope IS 'base for the product itself, else the option''s name.';
COMMENT ON COLUMN report_usage_by_month.users IS 'Distinct users that checked in the month.';
COMMENT ON COLUMN report_usage_by_month.hosts IS 'Distinct computers that checked in the month.';
COMMENT ON COLUMN report_usage_by_month.peak_users IS 'Most users with an active seat at once in the month.';
COMMENT ON COLUMN report_usage_by_month.peak_hosts IS 'Most computers with an active seat at once in the month.';
COMMENT ON COLUMN report_usage_by_month.peak_rights IS 'Most active seats at once in the month.';
COMMENT ON COLUMN report_usage_by_month.checks IS 'Checks in the month.';
COMMENT ON COLUMN report_usage_by_month.denials IS 'Refused checks in the month.';

CREATE VIEW report_denials_by_day AS
SELECT d.realm, nullif(d.license_id, '') AS license_id, l.product, l.licensee, d.day, d.reason, d.denials
FROM denial_days d
LEFT JOIN licenses l USING (realm, license_id);
COMMENT ON VIEW report_denials_by_day IS 'Refused checks per license, UTC day and reason.';
COMMENT ON COLUMN report_denials_by_day.license_id IS 'NULL for keys refused before their signature verified (they name no license one can trust).';
COMMENT ON COLUMN report_denials_by_day.reason IS 'The reason token of SPEC §4 (users, expired, host, …).';
COMMENT ON COLUMN report_denials_by_day.denials IS 'Refused checks.';

CREATE VIEW report_expiry AS
SELECT realm, license_id, product, licensee, valid_until, valid_until - (now() AT TIME ZONE 'UTC')::date AS expires_in_days,
       maintenance_until, maintenance_until - (now() AT TIME ZONE 'UTC')::date AS maintenance_ends_in_days, last_seen
FROM licenses
WHERE valid_until IS NOT NULL OR maintenance_until IS NOT NULL;
COMMENT ON VIEW report_expiry IS 'Licenses with an end: filter with WHERE expires_in_days BETWEEN 0 AND 30 (or maintenance_ends_in_days).';
COMMENT ON COLUMN report_expiry.valid_until IS 'Last day of duration=; NULL: no end.';
COMMENT ON COLUMN report_expiry.expires_in_days IS 'Days from today (UTC) to the last valid day; negative: expired.';
COMMENT ON COLUMN report_expiry.maintenance_until IS 'Last day of maintenance=; NULL: none.';
COMMENT ON COLUMN report_expiry.maintenance_ends_in_days IS 'Days from today to the end of maintenance; negative: ended.';
COMMENT ON COLUMN report_expiry.last_seen IS 'When the license was last in use.';

CREATE VIEW report_clients AS
SELECT c.realm, c.license_id, l.product, l.licensee, c.domain, c.revision, c.first_seen, c.last_seen, c.checks
FROM license_clients c
LEFT JOIN licenses l USING (realm, license_id);
COMMENT ON VIEW report_clients IS 'Domains and program revisions seen per license, with first and last check.';
COMMENT ON COLUMN report_clients.domain IS 'The DOMAIN of the startup code, in lower case.';
COMMENT ON COLUMN report_clients.revision IS 'The program''s REVISION.';
COMMENT ON COLUMN report_clients.checks IS 'Checks from this domain and revision.';

CREATE VIEW report_near_limit AS
WITH period AS (
    SELECT (now() AT TIME ZONE 'UTC')::date - 30 AS after
), near AS (
    -- Read through the partial index usage_days_near_limit: only the days that came near a limit.
    SELECT DISTINCT u.realm, u.license_id, u.scope
    FROM usage_days u, period p
    WHERE u.day > p.after
      AND (u.peak_users * 10 >= u.users_limit * 9 OR u.peak_hosts * 10 >= u.hosts_limit * 9
           OR u.peak_rights * 10 >= u.rights_limit * 9)
), turned_away AS (
    SELECT d.realm, d.license_id, sum(d.denials) FILTER (WHERE d.reason = 'users') AS users,
           sum(d.denials) FILTER (WHERE d.reason = 'hosts') AS hosts, sum(d.denials) FILTER (WHERE d.reason = 'rights') AS rights
    FROM denial_days d, period p
    WHERE d.day > p.after AND d.reason IN ('users', 'hosts', 'rights') AND d.license_id <> ''
    GROUP BY d.realm, d.license_id
), flagged AS (
    SELECT realm, license_id, scope FROM near
    UNION
    SELECT realm, license_id, '' FROM turned_away
)
SELECT f.realm, f.license_id, l.product, l.licensee, CASE f.scope WHEN '' THEN 'base' ELSE f.scope END AS scope,
       s.users AS users_limit, r.peak_users, s.hosts AS hosts_limit, r.peak_hosts, s.rights AS rights_limit, r.peak_rights,
       CASE f.scope WHEN '' THEN coalesce(t.users, 0) ELSE 0 END AS turned_away_users,
       CASE f.scope WHEN '' THEN coalesce(t.hosts, 0) ELSE 0 END AS turned_away_hosts,
       CASE f.scope WHEN '' THEN coalesce(t.rights, 0) ELSE 0 END AS turned_away_rights
FROM flagged f
JOIN licenses l USING (realm, license_id)
LEFT JOIN license_scopes s USING (realm, license_id, scope)
LEFT JOIN turned_away t USING (realm, license_id)
LEFT JOIN LATERAL (
    SELECT max(u.peak_users) AS peak_users, max(u.peak_hosts) AS peak_hosts, max(u.peak_rights) AS peak_rights
    FROM usage_days u, period p
    WHERE u.realm = f.realm AND u.license_id = f.license_id AND u.scope = f.scope AND u.day > p.after
) r ON true;
COMMENT ON VIEW report_near_limit IS 'Licenses near a limit (a peak of the last 30 days at or above 90 % of it) or that turned users away for users, hosts or rights in the last 30 days.';
COMMENT ON COLUMN report_near_limit.peak_users IS 'Highest concurrent users in the last 30 days.';
COMMENT ON COLUMN report_near_limit.peak_hosts IS 'Highest concurrent computers in the last 30 days.';
COMMENT ON COLUMN report_near_limit.peak_rights IS 'Highest concurrent rights in the last 30 days.';
COMMENT ON COLUMN report_near_limit.turned_away_users IS 'Checks refused for users in the last 30 days (shown on the base scope).';
COMMENT ON COLUMN report_near_limit.turned_away_hosts IS 'Checks refused for hosts in the last 30 days.';
COMMENT ON COLUMN report_near_limit.turned_away_rights IS 'Checks refused for rights in the last 30 days.';

-- Ownership and rights.
ALTER TABLE service_settings OWNER TO license_owner;
ALTER TABLE usage_days OWNER TO license_owner;
ALTER TABLE usage_months OWNER TO license_owner;
ALTER TABLE denial_days OWNER TO license_owner;
ALTER TABLE license_clients OWNER TO license_owner;
ALTER FUNCTION active_lease() OWNER TO license_owner;
ALTER FUNCTION record_usage(timestamptz) OWNER TO license_owner;
ALTER FUNCTION add_usage_counts OWNER TO license_owner;
ALTER FUNCTION purge_usage(interval) OWNER TO license_owner;
ALTER VIEW report_usage_now OWNER TO license_owner;
ALTER VIEW report_usage_by_day OWNER TO license_owner;
ALTER VIEW report_usage_by_month OWNER TO license_owner;
ALTER VIEW report_denials_by_day OWNER TO license_owner;
ALTER VIEW report_expiry OWNER TO license_owner;
ALTER VIEW report_clients OWNER TO license_owner;
ALTER VIEW report_near_limit OWNER TO license_owner;

REVOKE ALL ON FUNCTION record_usage(timestamptz), add_usage_counts, purge_usage(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_usage(timestamptz), add_usage_counts TO license_pool;
GRANT SELECT, INSERT, UPDATE ON service_settings TO license_pool;
GRANT SELECT, INSERT, UPDATE ON usage_days, usage_months, denial_days, license_clients TO license_pool;

-- The views call active_lease(), which reads the lease as the caller.
GRANT SELECT ON service_settings TO license_reporter;
GRANT SELECT ON report_usage_now, report_usage_by_day, report_usage_by_month, report_denials_by_day, report_expiry,
                report_clients, report_near_limit TO license_reporter;

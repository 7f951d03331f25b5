-- A license is (realm, issuer, product, id) (SPEC §1), and a seat's computer is part of the seat
-- (SPEC §4).
--
-- Until now a license was (realm, id): a partner issuer trusted in the same realm, or the
-- vendor's other product with the same serial, filled this license's seats. Every table that
-- names a license gains its issuer and product, carried over from the licenses row (history of
-- a license whose row is gone, and the denials of keys that never verified, get the empty
-- string), and every key and function that finds a license uses all four.
--
-- A seat was (license, scope, user, instance), and a refresh overwrote its computer: one user ID
-- copied to many computers was one seat, and hosts= was never reached. Now the computer is part
-- of the seat's key, a refresh only matches it, and a known user and instance on another
-- computer is a new seat that goes through admission; the old one lapses with its lease.
--
-- The functions and views that name a license are rewritten here, once, and with them three
-- other fixes that touch the same definitions: the near-limit predicate without the overflow of
-- `users_limit * 9` (a key with users=9223372036854775807 made every roll-up fail), domains and
-- revisions bounded per license and day, and the lease read from leases (005).

DROP VIEW report_usage_now, report_usage_by_day, report_usage_by_month, report_denials_by_day, report_expiry,
          report_clients, report_near_limit;
DROP FUNCTION admit_seat(text, text, text[], bigint[], bigint[], bigint[], bytea, bytea, bytea, interval);
DROP FUNCTION record_usage(timestamptz, text[], text[], text[]);
DROP FUNCTION add_usage_counts(text[], text[], text[], date[], bigint[], bigint[], text[], text[], date[], text[], bigint[],
                               text[], text[], text[], text[], timestamptz[], timestamptz[], bigint[]);
DROP INDEX usage_days_near_limit;

ALTER TABLE license_scopes DROP CONSTRAINT license_scopes_realm_license_id_fkey;
ALTER TABLE seats DROP CONSTRAINT seats_realm_license_id_fkey;

ALTER TABLE license_scopes ADD COLUMN issuer text NOT NULL DEFAULT '', ADD COLUMN product text NOT NULL DEFAULT '';
ALTER TABLE seats ADD COLUMN issuer text NOT NULL DEFAULT '', ADD COLUMN product text NOT NULL DEFAULT '';
ALTER TABLE usage_days ADD COLUMN issuer text NOT NULL DEFAULT '', ADD COLUMN product text NOT NULL DEFAULT '';
ALTER TABLE usage_months ADD COLUMN issuer text NOT NULL DEFAULT '', ADD COLUMN product text NOT NULL DEFAULT '';
ALTER TABLE denial_days ADD COLUMN issuer text NOT NULL DEFAULT '', ADD COLUMN product text NOT NULL DEFAULT '';
ALTER TABLE license_clients ADD COLUMN issuer text NOT NULL DEFAULT '', ADD COLUMN product text NOT NULL DEFAULT '';

UPDATE license_scopes t SET issuer = l.issuer, product = l.product FROM licenses l WHERE (l.realm, l.license_id) = (t.realm, t.license_id);
UPDATE seats t SET issuer = l.issuer, product = l.product FROM licenses l WHERE (l.realm, l.license_id) = (t.realm, t.license_id);
UPDATE usage_days t SET issuer = l.issuer, product = l.product FROM licenses l WHERE (l.realm, l.license_id) = (t.realm, t.license_id);
UPDATE usage_months t SET issuer = l.issuer, product = l.product FROM licenses l WHERE (l.realm, l.license_id) = (t.realm, t.license_id);
UPDATE denial_days t SET issuer = l.issuer, product = l.product FROM licenses l WHERE (l.realm, l.license_id) = (t.realm, t.license_id);
UPDATE license_clients t SET issuer = l.issuer, product = l.product FROM licenses l WHERE (l.realm, l.license_id) = (t.realm, t.license_id);

ALTER TABLE license_scopes ALTER COLUMN issuer DROP DEFAULT, ALTER COLUMN product DROP DEFAULT;
ALTER TABLE seats ALTER COLUMN issuer DROP DEFAULT, ALTER COLUMN product DROP DEFAULT;

ALTER TABLE licenses DROP CONSTRAINT licenses_pkey, ADD PRIMARY KEY (realm, license_id, issuer, product);
ALTER TABLE license_scopes DROP CONSTRAINT license_scopes_pkey, ADD PRIMARY KEY (realm, license_id, issuer, product, scope),
    ADD FOREIGN KEY (realm, license_id, issuer, product) REFERENCES licenses ON DELETE CASCADE;
-- Keys lead with (realm, license_id), as before, so that a DBA's query by a license's id reads
-- the index prefix (and finds every issuer's and product's license of that id); the pool's
-- statements give all four. In seats the user comes before the instance and the computer, so
-- that the distinct users of a scope are read in index order and a count can stop one past a
-- limit.
ALTER TABLE seats DROP CONSTRAINT seats_pkey,
    ADD PRIMARY KEY (realm, license_id, issuer, product, scope, user_hash, instance_hash, computer_hash),
    ADD FOREIGN KEY (realm, license_id, issuer, product) REFERENCES licenses ON DELETE CASCADE;
-- The distinct computers of a scope in index order, for the same reason. A refresh changes only
-- last_seen, which no index holds, so it stays a HOT update.
CREATE INDEX seats_by_computer ON seats (realm, license_id, issuer, product, scope, computer_hash);
ALTER TABLE usage_days DROP CONSTRAINT usage_days_pkey, ADD PRIMARY KEY (realm, license_id, issuer, product, scope, day);
ALTER TABLE usage_months DROP CONSTRAINT usage_months_pkey, ADD PRIMARY KEY (realm, license_id, issuer, product, scope, month);
ALTER TABLE denial_days DROP CONSTRAINT denial_days_pkey, ADD PRIMARY KEY (realm, license_id, issuer, product, day, reason);
ALTER TABLE license_clients DROP CONSTRAINT license_clients_pkey, ADD PRIMARY KEY (realm, license_id, issuer, product, domain, revision);

COMMENT ON TABLE licenses IS 'Every license whose key was seen with a valid signature, per realm: keys with the same issuer, product and id are one license.';
COMMENT ON COLUMN licenses.issuer IS 'The issuer whose public key verified the key (issuer=, else default); part of the license''s identity.';
COMMENT ON COLUMN licenses.product IS 'The key''s product; part of the license''s identity.';
COMMENT ON TABLE seats IS 'One row per (license, scope, user, instance, computer); active while last_seen is within the lease (leases.seat_lease).';
COMMENT ON COLUMN seats.computer_hash IS 'HMAC-SHA-256 of the system ID (the user ID when the client sent none); part of the seat, counted for hosts=.';
COMMENT ON COLUMN denial_days.issuer IS 'The license''s issuer; the empty string for keys that failed before their signature verified.';
COMMENT ON TABLE license_clients IS 'Domains and program revisions that checked each license (checks that passed rules 3 to 6), at most 100 new ones per license and UTC day.';

-- Admission of a new seat in one round trip (as in 004), for the license (realm, issuer,
-- product, id) and a seat that includes its computer, with the lease from leases.
CREATE FUNCTION admit_seat(
    seat_realm text, seat_issuer text, seat_product text, seat_license text,
    scopes text[], users_limits bigint[], hosts_limits bigint[], rights_limits bigint[],
    seat_user bytea, seat_instance bytea, seat_computer bytea,
    OUT outcome text, OUT refused_scope text
) LANGUAGE plpgsql
AS $$
DECLARE
    active_after timestamptz := now() - active_lease();
    scope_name text;
    users_limit bigint;
    hosts_limit bigint;
    rights_limit bigint;
    active bigint;
    present boolean;
BEGIN
    -- Durable before the answer says valid, whatever the connection's default (a refresh may
    -- commit asynchronously; an admission may not). Lasts until this transaction ends.
    PERFORM set_config('synchronous_commit', 'on', true);
    -- The per-license lock: concurrent admissions to one license queue here, others do not.
    PERFORM 1 FROM licenses
    WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product AND license_id = seat_license
    FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'unregistered';
        RETURN;
    END IF;
    -- Rule 9: with the new seat, each scope's active users, hosts and rights stay within its
    -- limits; the first scope without room, and in it the first of users, hosts, rights, gives
    -- the reason. Only the limits a key sets are counted, and at most one past the limit
    -- (LIMIT NULL: all, for a limit of 2^63-1), so a check costs no more than its limits,
    -- whatever the seats. The new seat adds a user, computer or instance only when none is
    -- active yet. (Three statements, not one CASE over all three: that measured 10-20 % slower.)
    FOR scope_number IN 1 .. cardinality(scopes) LOOP
        scope_name := scopes[scope_number];
        users_limit := users_limits[scope_number];
        hosts_limit := hosts_limits[scope_number];
        rights_limit := rights_limits[scope_number];
        IF users_limit IS NOT NULL THEN
            SELECT count(*) INTO active FROM (
                SELECT DISTINCT user_hash FROM seats
                WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product AND license_id = seat_license
                  AND scope = scope_name AND last_seen > active_after
                LIMIT nullif(users_limit, 9223372036854775807) + 1) AS users;
            present := EXISTS (SELECT FROM seats
                               WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product
                                 AND license_id = seat_license AND scope = scope_name
                                 AND user_hash = seat_user AND last_seen > active_after);
            IF active + (NOT present)::int > users_limit THEN
                outcome := 'users';
            END IF;
        END IF;
        IF outcome IS NULL AND hosts_limit IS NOT NULL THEN
            SELECT count(*) INTO active FROM (
                SELECT DISTINCT computer_hash FROM seats
                WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product AND license_id = seat_license
                  AND scope = scope_name AND last_seen > active_after
                LIMIT nullif(hosts_limit, 9223372036854775807) + 1) AS hosts;
            present := EXISTS (SELECT FROM seats
                               WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product
                                 AND license_id = seat_license AND scope = scope_name
                                 AND computer_hash = seat_computer AND last_seen > active_after);
            IF active + (NOT present)::int > hosts_limit THEN
                outcome := 'hosts';
            END IF;
        END IF;
        IF outcome IS NULL AND rights_limit IS NOT NULL THEN
            SELECT count(*) INTO active FROM (
                SELECT FROM seats
                WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product AND license_id = seat_license
                  AND scope = scope_name AND last_seen > active_after
                LIMIT nullif(rights_limit, 9223372036854775807) + 1) AS rights;
            present := EXISTS (SELECT FROM seats
                               WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product
                                 AND license_id = seat_license AND scope = scope_name
                                 AND user_hash = seat_user AND instance_hash = seat_instance
                                 AND computer_hash = seat_computer AND last_seen > active_after);
            IF active + (NOT present)::int > rights_limit THEN
                outcome := 'rights';
            END IF;
        END IF;
        IF outcome IS NOT NULL THEN
            refused_scope := scope_name;
            RETURN;
        END IF;
    END LOOP;
    INSERT INTO seats (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash, first_seen, last_seen)
    SELECT seat_realm, seat_issuer, seat_product, seat_license, scope, seat_user, seat_instance, seat_computer, now(), now()
    FROM unnest(scopes) AS scope
    ON CONFLICT (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash) DO UPDATE SET
        first_seen = CASE WHEN seats.last_seen > active_after THEN seats.first_seen ELSE now() END,
        last_seen = now();
    outcome := 'admitted';
END
$$;
COMMENT ON FUNCTION admit_seat IS
    'Admits a seat (user, instance, computer) in every scope when each has room (limits NULL: none), under the license''s row lock; else the reason (users, hosts, rights) and the scope; unregistered when the license has no row.';

-- record_usage of 003, for licenses named by (realm, issuer, product, id).
CREATE FUNCTION record_usage(at timestamptz DEFAULT now(), realms text[] DEFAULT NULL, issuers text[] DEFAULT NULL,
                             products text[] DEFAULT NULL, licenses text[] DEFAULT NULL, scopes text[] DEFAULT NULL)
RETURNS void LANGUAGE sql
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
               count(*) FILTER (WHERE t.last_seen > w.active_after) AS peak_rights,
               count(DISTINCT t.user_hash) AS month_users, count(DISTINCT t.computer_hash) AS month_hosts
        FROM chosen t, window_ w
        WHERE t.last_seen <= at AND t.last_seen >= least(w.month_start, w.active_after)
        GROUP BY t.realm, t.issuer, t.product, t.license_id, t.scope
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
$$;
COMMENT ON FUNCTION record_usage(timestamptz, text[], text[], text[], text[], text[]) IS
    'Rolls active seats up into usage_days and usage_months for the day and month of at: all of them, or only the scopes named by the arrays (realm, issuer, product, license, scope of equal length); run by the pool each minute.';

-- add_usage_counts of 002, for licenses named by (realm, issuer, product, id). A license adds
-- at most 100 new (domain, revision) rows a UTC day: a client that sends a new revision or
-- domain with every check (random ones, say) cannot grow the table without bound. Two pools
-- writing at the same moment may each add up to the bound.
CREATE FUNCTION add_usage_counts(
    scope_realms text[], scope_issuers text[], scope_products text[], scope_licenses text[], scope_names text[],
    scope_days date[], scope_checks bigint[], scope_denials bigint[],
    denial_realms text[], denial_issuers text[], denial_products text[], denial_licenses text[], denial_days_ date[],
    denial_reasons text[], denial_counts bigint[],
    client_realms text[], client_issuers text[], client_products text[], client_licenses text[], client_domains text[],
    client_revisions text[], client_first timestamptz[], client_last timestamptz[], client_checks bigint[]
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
                                 AND k.first_seen >= date_trunc('day', now())) <= 100
    ON CONFLICT (realm, issuer, product, license_id, domain, revision) DO UPDATE SET
        first_seen = least(c.first_seen, excluded.first_seen), last_seen = greatest(c.last_seen, excluded.last_seen),
        checks = c.checks + excluded.checks;
$$;
COMMENT ON FUNCTION add_usage_counts IS 'Adds one pool''s batched check, denial and client counts (called once a minute per pool); at most 100 new clients per license and UTC day.';

-- The few days on which a scope came near a limit, for report_near_limit. "peak >= 90 % of
-- limit" is written peak >= limit - limit / 10 (integer division: the same as
-- peak * 10 >= limit * 9, which overflowed bigint for limits past 2^63 / 9).
CREATE INDEX usage_days_near_limit ON usage_days (day)
    WHERE peak_users >= users_limit - users_limit / 10 OR peak_hosts >= hosts_limit - hosts_limit / 10
       OR peak_rights >= rights_limit - rights_limit / 10;

-- The report views of 002 (sql/reports/README.md), each naming a license by realm, issuer,
-- product and id.

CREATE VIEW report_usage_now AS
SELECT l.realm, l.issuer, l.product, l.license_id, l.licensee,
       CASE s.scope WHEN '' THEN 'base' ELSE s.scope END AS scope,
       s.users AS users_limit, coalesce(a.users, 0) AS users_active,
       s.hosts AS hosts_limit, coalesce(a.hosts, 0) AS hosts_active,
       s.rights AS rights_limit, coalesce(a.rights, 0) AS rights_active,
       round(100.0 * greatest(coalesce(a.users, 0)::numeric / s.users, coalesce(a.hosts, 0)::numeric / s.hosts,
                              coalesce(a.rights, 0)::numeric / s.rights), 1) AS percent_used
FROM licenses l
JOIN license_scopes s USING (realm, issuer, product, license_id)
LEFT JOIN LATERAL (
    SELECT count(DISTINCT user_hash) AS users, count(DISTINCT computer_hash) AS hosts, count(*) AS rights
    FROM seats t
    WHERE t.realm = s.realm AND t.issuer = s.issuer AND t.product = s.product AND t.license_id = s.license_id
      AND t.scope = s.scope AND t.last_seen > (SELECT now() - active_lease())
) a ON true;
COMMENT ON VIEW report_usage_now IS 'Usage now: per license and scope, each limit beside the users, hosts and rights active now.';
COMMENT ON COLUMN report_usage_now.issuer IS 'The issuer that signed the license''s keys; with realm, product and license_id it names the license.';
COMMENT ON COLUMN report_usage_now.scope IS 'base for the product itself, else the option''s name.';
COMMENT ON COLUMN report_usage_now.users_limit IS 'users= of the key; NULL: no limit.';
COMMENT ON COLUMN report_usage_now.users_active IS 'Distinct users holding an active seat (checked within the lease).';
COMMENT ON COLUMN report_usage_now.hosts_limit IS 'hosts= of the key; NULL: no limit.';
COMMENT ON COLUMN report_usage_now.hosts_active IS 'Distinct computers holding an active seat.';
COMMENT ON COLUMN report_usage_now.rights_limit IS 'rights= of the key; NULL: no limit.';
COMMENT ON COLUMN report_usage_now.rights_active IS 'Active seats: running instances (an instance on two computers counts twice).';
COMMENT ON COLUMN report_usage_now.percent_used IS 'The highest of active / limit over the limits the key sets, in percent; NULL without limits.';

CREATE VIEW report_usage_by_day AS
SELECT u.realm, u.issuer, u.product, u.license_id, l.licensee, CASE u.scope WHEN '' THEN 'base' ELSE u.scope END AS scope,
       u.day, u.users, u.hosts, u.peak_users, u.peak_hosts, u.peak_rights, u.checks, u.denials
FROM usage_days u
LEFT JOIN licenses l USING (realm, issuer, product, license_id);
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
SELECT m.realm, m.issuer, m.product, m.license_id, l.licensee, CASE m.scope WHEN '' THEN 'base' ELSE m.scope END AS scope,
       m.month, m.users, m.hosts, m.peak_users, m.peak_hosts, m.peak_rights, m.checks, m.denials
FROM usage_months m
LEFT JOIN licenses l USING (realm, issuer, product, license_id);
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
SELECT d.realm, nullif(d.issuer, '') AS issuer, nullif(d.product, '') AS product, nullif(d.license_id, '') AS license_id,
       l.licensee, d.day, d.reason, d.denials
FROM denial_days d
LEFT JOIN licenses l USING (realm, issuer, product, license_id);
COMMENT ON VIEW report_denials_by_day IS 'Refused checks per license, UTC day and reason.';
COMMENT ON COLUMN report_denials_by_day.issuer IS 'NULL for keys refused before their signature verified.';
COMMENT ON COLUMN report_denials_by_day.product IS 'NULL for keys refused before their signature verified.';
COMMENT ON COLUMN report_denials_by_day.license_id IS 'NULL for keys refused before their signature verified (they name no license one can trust).';
COMMENT ON COLUMN report_denials_by_day.reason IS 'The reason token of SPEC §4 (users, expired, host, …).';
COMMENT ON COLUMN report_denials_by_day.denials IS 'Refused checks.';

CREATE VIEW report_expiry AS
SELECT realm, issuer, product, license_id, licensee, valid_until,
       valid_until - (now() AT TIME ZONE 'UTC')::date AS expires_in_days, maintenance_until,
       maintenance_until - (now() AT TIME ZONE 'UTC')::date AS maintenance_ends_in_days, last_seen
FROM licenses
WHERE valid_until IS NOT NULL OR maintenance_until IS NOT NULL;
COMMENT ON VIEW report_expiry IS 'Licenses with an end: filter with WHERE expires_in_days BETWEEN 0 AND 30 (or maintenance_ends_in_days).';
COMMENT ON COLUMN report_expiry.valid_until IS 'Last day of duration=; NULL: no end.';
COMMENT ON COLUMN report_expiry.expires_in_days IS 'Days from today (UTC) to the last valid day; negative: expired.';
COMMENT ON COLUMN report_expiry.maintenance_until IS 'Last day of maintenance=; NULL: none.';
COMMENT ON COLUMN report_expiry.maintenance_ends_in_days IS 'Days from today to the end of maintenance; negative: ended.';
COMMENT ON COLUMN report_expiry.last_seen IS 'When the license was last in use.';

CREATE VIEW report_clients AS
SELECT c.realm, c.issuer, c.product, c.license_id, l.licensee, c.domain, c.revision, c.first_seen, c.last_seen, c.checks
FROM license_clients c
LEFT JOIN licenses l USING (realm, issuer, product, license_id);
COMMENT ON VIEW report_clients IS 'Domains and program revisions seen per license (checks that passed rules 3 to 6), with first and last check.';
COMMENT ON COLUMN report_clients.domain IS 'The DOMAIN of the startup code, in lower case.';
COMMENT ON COLUMN report_clients.revision IS 'The program''s REVISION.';
COMMENT ON COLUMN report_clients.checks IS 'Checks from this domain and revision.';

CREATE VIEW report_near_limit AS
WITH period AS (
    SELECT (now() AT TIME ZONE 'UTC')::date - 30 AS after
), near AS (
    -- Read through the partial index usage_days_near_limit: only the days that came near a limit.
    SELECT DISTINCT u.realm, u.issuer, u.product, u.license_id, u.scope
    FROM usage_days u, period p
    WHERE u.day > p.after
      AND (u.peak_users >= u.users_limit - u.users_limit / 10 OR u.peak_hosts >= u.hosts_limit - u.hosts_limit / 10
           OR u.peak_rights >= u.rights_limit - u.rights_limit / 10)
), turned_away AS (
    SELECT d.realm, d.issuer, d.product, d.license_id, sum(d.denials) FILTER (WHERE d.reason = 'users') AS users,
           sum(d.denials) FILTER (WHERE d.reason = 'hosts') AS hosts, sum(d.denials) FILTER (WHERE d.reason = 'rights') AS rights
    FROM denial_days d, period p
    WHERE d.day > p.after AND d.reason IN ('users', 'hosts', 'rights') AND d.license_id <> ''
    GROUP BY d.realm, d.issuer, d.product, d.license_id
), flagged AS (
    SELECT realm, issuer, product, license_id, scope FROM near
    UNION
    SELECT realm, issuer, product, license_id, '' FROM turned_away
)
SELECT f.realm, f.issuer, f.product, f.license_id, l.licensee, CASE f.scope WHEN '' THEN 'base' ELSE f.scope END AS scope,
       s.users AS users_limit, r.peak_users, s.hosts AS hosts_limit, r.peak_hosts, s.rights AS rights_limit, r.peak_rights,
       CASE f.scope WHEN '' THEN coalesce(t.users, 0) ELSE 0 END AS turned_away_users,
       CASE f.scope WHEN '' THEN coalesce(t.hosts, 0) ELSE 0 END AS turned_away_hosts,
       CASE f.scope WHEN '' THEN coalesce(t.rights, 0) ELSE 0 END AS turned_away_rights
FROM flagged f
JOIN licenses l USING (realm, issuer, product, license_id)
LEFT JOIN license_scopes s USING (realm, issuer, product, license_id, scope)
LEFT JOIN turned_away t USING (realm, issuer, product, license_id)
LEFT JOIN LATERAL (
    SELECT max(u.peak_users) AS peak_users, max(u.peak_hosts) AS peak_hosts, max(u.peak_rights) AS peak_rights
    FROM usage_days u, period p
    WHERE u.realm = f.realm AND u.issuer = f.issuer AND u.product = f.product AND u.license_id = f.license_id
      AND u.scope = f.scope AND u.day > p.after
) r ON true;
COMMENT ON VIEW report_near_limit IS 'Licenses near a limit (a peak of the last 30 days at or above 90 % of it) or that turned users away for users, hosts or rights in the last 30 days.';
COMMENT ON COLUMN report_near_limit.peak_users IS 'Highest concurrent users in the last 30 days.';
COMMENT ON COLUMN report_near_limit.peak_hosts IS 'Highest concurrent computers in the last 30 days.';
COMMENT ON COLUMN report_near_limit.peak_rights IS 'Highest concurrent rights in the last 30 days.';
COMMENT ON COLUMN report_near_limit.turned_away_users IS 'Checks refused for users in the last 30 days (shown on the base scope).';
COMMENT ON COLUMN report_near_limit.turned_away_hosts IS 'Checks refused for hosts in the last 30 days.';
COMMENT ON COLUMN report_near_limit.turned_away_rights IS 'Checks refused for rights in the last 30 days.';

-- Ownership and rights, as in 002 and 004.
ALTER FUNCTION admit_seat OWNER TO license_owner;
ALTER FUNCTION record_usage(timestamptz, text[], text[], text[], text[], text[]) OWNER TO license_owner;
ALTER FUNCTION add_usage_counts OWNER TO license_owner;
ALTER VIEW report_usage_now OWNER TO license_owner;
ALTER VIEW report_usage_by_day OWNER TO license_owner;
ALTER VIEW report_usage_by_month OWNER TO license_owner;
ALTER VIEW report_denials_by_day OWNER TO license_owner;
ALTER VIEW report_expiry OWNER TO license_owner;
ALTER VIEW report_clients OWNER TO license_owner;
ALTER VIEW report_near_limit OWNER TO license_owner;
REVOKE ALL ON FUNCTION admit_seat, record_usage(timestamptz, text[], text[], text[], text[], text[]), add_usage_counts FROM PUBLIC;
GRANT EXECUTE ON FUNCTION admit_seat, record_usage(timestamptz, text[], text[], text[], text[], text[]), add_usage_counts
    TO license_pool;
GRANT SELECT ON report_usage_now, report_usage_by_day, report_usage_by_month, report_denials_by_day, report_expiry,
                report_clients, report_near_limit TO license_reporter;

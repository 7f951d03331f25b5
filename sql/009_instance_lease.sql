-- The instance lease of SPEC §8, and one definition of "active" for each kind of limit.
--
-- A program that crashes never releases its right (a running instance). So a seat counts for
-- rights only while its instance was checked within the instance lease (license-server
-- --instance-lease, default 15 minutes, at most the seat lease); for users and hosts it counts
-- within the seat lease, as before. Both leases live in the one row of leases (005), and
-- "active" is defined once for each, here:
--
--   seat_active_since(at)      a seat counts for users and hosts if its last_seen is after this
--   instance_active_since(at)  a seat counts for rights if its last_seen is after this
--
-- admit_seat(), record_usage(), report_usage_now and the pool's statements (LicenseStore's
-- SeatStore) all compare last_seen with these two and nothing else.

ALTER TABLE leases ADD COLUMN instance_lease interval NOT NULL DEFAULT interval '15 minutes';
-- A seat lease shorter than 15 minutes (a test's 90 s) bounds the instance lease.
UPDATE leases SET instance_lease = least(seat_lease, interval '15 minutes');
ALTER TABLE leases ADD CONSTRAINT instance_lease_within_seat_lease
    CHECK (instance_lease >= interval '1 second' AND instance_lease <= seat_lease);
COMMENT ON COLUMN leases.instance_lease IS 'A seat counts for rights (a running instance) while it was checked within this (--instance-lease); at most seat_lease.';
COMMENT ON COLUMN leases.seat_lease IS 'A seat counts for users and hosts while it was checked within this (--lease).';

CREATE FUNCTION seat_active_since(at timestamptz) RETURNS timestamptz LANGUAGE sql STABLE
    AS $$ SELECT at - seat_lease FROM leases $$;
COMMENT ON FUNCTION seat_active_since(timestamptz) IS 'At moment at, a seat counts for users and hosts if its last_seen is after this (at minus the seat lease).';
CREATE FUNCTION instance_active_since(at timestamptz) RETURNS timestamptz LANGUAGE sql STABLE
    AS $$ SELECT at - instance_lease FROM leases $$;
COMMENT ON FUNCTION instance_active_since(timestamptz) IS 'At moment at, a seat counts for rights if its last_seen is after this (at minus the instance lease).';
ALTER FUNCTION seat_active_since(timestamptz) OWNER TO license_owner;
ALTER FUNCTION instance_active_since(timestamptz) OWNER TO license_owner;

-- set_leases of 005 with the instance lease: both at once, so the CHECK sees the pair.
DROP FUNCTION set_leases(interval);
CREATE FUNCTION set_leases(seat interval, instance interval, OUT previous_seat_lease interval, OUT previous_instance_lease interval)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
    UPDATE leases AS l SET seat_lease = seat, instance_lease = instance, set_at = now()
    FROM (SELECT seat_lease, instance_lease FROM leases) AS before
    RETURNING before.seat_lease, before.instance_lease;
$$;
COMMENT ON FUNCTION set_leases(interval, interval) IS 'Sets the seat lease (--lease) and the instance lease (--instance-lease); returns the previous ones.';
ALTER FUNCTION set_leases(interval, interval) OWNER TO license_owner;
REVOKE ALL ON FUNCTION set_leases(interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_leases(interval, interval) TO license_pool;

-- admit_seat of 007: rights counted within the instance lease.
CREATE OR REPLACE FUNCTION admit_seat(
    seat_realm text, seat_issuer text, seat_product text, seat_license text,
    scopes text[], users_limits bigint[], hosts_limits bigint[], rights_limits bigint[],
    seat_user bytea, seat_instance bytea, seat_computer bytea,
    OUT outcome text, OUT refused_scope text
) LANGUAGE plpgsql
AS $$
DECLARE
    active_after timestamptz := seat_active_since(now());
    -- Rights are running instances: a seat holds one only while its instance checks in (SPEC §8).
    instance_after timestamptz := instance_active_since(now());
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
                  AND scope = scope_name AND last_seen > instance_after
                LIMIT nullif(rights_limit, 9223372036854775807) + 1) AS rights;
            present := EXISTS (SELECT FROM seats
                               WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product
                                 AND license_id = seat_license AND scope = scope_name
                                 AND user_hash = seat_user AND instance_hash = seat_instance
                                 AND computer_hash = seat_computer AND last_seen > instance_after);
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

-- record_usage of 007: peak rights counted within the instance lease.
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

-- report_usage_now of 007: rights_active within the instance lease.
CREATE OR REPLACE VIEW report_usage_now AS
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
    SELECT count(DISTINCT user_hash) AS users, count(DISTINCT computer_hash) AS hosts,
           count(*) FILTER (WHERE t.last_seen > (SELECT instance_active_since(now()))) AS rights
    FROM seats t
    WHERE t.realm = s.realm AND t.issuer = s.issuer AND t.product = s.product AND t.license_id = s.license_id
      AND t.scope = s.scope AND t.last_seen > (SELECT seat_active_since(now()))
) a ON true;
COMMENT ON COLUMN report_usage_now.rights_active IS 'Running instances: seats checked within the instance lease (an instance on two computers counts twice).';

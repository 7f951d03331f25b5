-- report_usage_now: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_usage_now AS
SELECT l.realm, l.issuer, l.product, l.license_id, l.licensee,
       s.scope,
       s.users AS users_limit, coalesce(a.users, 0) AS users_active,
       s.hosts AS hosts_limit, coalesce(a.hosts, 0) AS hosts_active,
       s.rights AS rights_limit, coalesce(a.rights, 0) AS rights_active,
       round(100.0 * greatest(coalesce(a.users, 0)::numeric / s.users, coalesce(a.hosts, 0)::numeric / s.hosts,
                              coalesce(a.rights, 0)::numeric / s.rights), 1) AS percent_used
FROM licenses l
JOIN license_scopes s USING (realm, issuer, product, license_id)
LEFT JOIN LATERAL (
    SELECT count(DISTINCT user_hash) FILTER (WHERE seat_counts(t.last_seen, t.borrowed_until, t.released_at, (SELECT seat_active_since(now())), now())) AS users,
           count(DISTINCT computer_hash) FILTER (WHERE seat_counts(t.last_seen, t.borrowed_until, t.released_at, (SELECT seat_active_since(now())), now())) AS hosts,
           coalesce(sum(t.rights) FILTER (WHERE right_counts(t.last_seen, t.borrowed_until, t.released_at, (SELECT instance_active_since(now())), s.linger, now())), 0) AS rights
    FROM seats t
    WHERE t.realm = s.realm AND t.issuer = s.issuer AND t.product = s.product AND t.license_id = s.license_id
      AND t.scope = s.scope
      AND (seat_counts(t.last_seen, t.borrowed_until, t.released_at, (SELECT seat_active_since(now())), now())
           OR right_counts(t.last_seen, t.borrowed_until, t.released_at, (SELECT instance_active_since(now())), s.linger, now()))
) a ON true;
COMMENT ON VIEW report_usage_now IS 'Usage now: per license and scope, each limit beside the users, hosts and rights active now.';
COMMENT ON COLUMN report_usage_now.issuer IS 'The issuer that signed the license''s keys; with realm, product and license_id it names the license.';
COMMENT ON COLUMN report_usage_now.scope IS 'base for the product itself, else the option''s name.';
COMMENT ON COLUMN report_usage_now.users_limit IS 'users= of the key; NULL: no limit.';
COMMENT ON COLUMN report_usage_now.users_active IS 'Distinct users holding an active seat (checked within the lease, or borrowed).';
COMMENT ON COLUMN report_usage_now.hosts_limit IS 'hosts= of the key; NULL: no limit.';
COMMENT ON COLUMN report_usage_now.hosts_active IS 'Distinct computers holding an active seat.';
COMMENT ON COLUMN report_usage_now.rights_limit IS 'rights= of the key; NULL: no limit.';
COMMENT ON COLUMN report_usage_now.rights_active IS 'Rights in use: the debits of the running instances (seats checked within the instance lease, lingering or borrowed; an instance on two computers counts twice).';
COMMENT ON COLUMN report_usage_now.percent_used IS 'The highest of active / limit over the limits the key sets, in percent (over 100: in overdraft, SPEC §15); NULL without limits.';
GRANT SELECT ON report_usage_now TO license_reporter;

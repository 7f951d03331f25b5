-- report_near_limit: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

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
    SELECT realm, issuer, product, license_id, 'base' FROM turned_away
)
SELECT f.realm, f.issuer, f.product, f.license_id, l.licensee, f.scope,
       s.users AS users_limit, r.peak_users, s.hosts AS hosts_limit, r.peak_hosts, s.rights AS rights_limit, r.peak_rights,
       CASE f.scope WHEN 'base' THEN coalesce(t.users, 0) ELSE 0 END AS turned_away_users,
       CASE f.scope WHEN 'base' THEN coalesce(t.hosts, 0) ELSE 0 END AS turned_away_hosts,
       CASE f.scope WHEN 'base' THEN coalesce(t.rights, 0) ELSE 0 END AS turned_away_rights
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
GRANT SELECT ON report_near_limit TO license_reporter;

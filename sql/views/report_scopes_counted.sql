-- report_scopes_counted: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_scopes_counted AS
SELECT s.realm, s.issuer, s.product, s.license_id,
       s.scope,
       s.users AS users_limit, coalesce(n.users, 0) AS users_active,
       s.hosts AS hosts_limit, coalesce(n.hosts, 0) AS hosts_active,
       s.rights AS rights_limit, coalesce(n.rights, 0) AS rights_active,
       round(100.0 * greatest(coalesce(n.users, 0)::numeric / nullif(s.users, 0), coalesce(n.hosts, 0)::numeric / nullif(s.hosts, 0),
                              coalesce(n.rights, 0)::numeric / nullif(s.rights, 0)), 1) AS percent_used,
       n.counted_at
FROM license_scopes s
LEFT JOIN usage_now n USING (realm, issuer, product, license_id, scope);
COMMENT ON VIEW report_scopes_counted IS 'report_usage_now as record_usage() last counted it (counted_at), without counting seats: cheap for many licenses.';
GRANT SELECT ON report_scopes_counted TO license_reporter;

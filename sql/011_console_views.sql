-- The console's own report views (SPEC §12): what its list of licenses reads, from usage_now and
-- license_fullness (010). Like every report view they are owned by license_owner and granted to
-- license_reporter, the console's role, which reads views and nothing else.

CREATE VIEW report_licenses AS
SELECT realm, issuer, product, license_id, licensee, license_type, valid_from, valid_until, maintenance_until, first_seen, last_seen
FROM licenses;
COMMENT ON VIEW report_licenses IS 'Every license seen (realm, issuer, product, id) with its licensee, type and dates; not its key text.';

CREATE VIEW report_licenses_fullest AS
SELECT l.realm, l.issuer, l.product, l.license_id, l.licensee, l.valid_until, f.percent_used, f.counted_at
FROM license_fullness f
JOIN licenses l USING (realm, issuer, product, license_id);
COMMENT ON VIEW report_licenses_fullest IS 'Every license with its fullest limit in percent (as record_usage() last counted it); ORDER BY percent_used DESC NULLS LAST, realm, license_id reads an index.';
COMMENT ON COLUMN report_licenses_fullest.percent_used IS 'In use now over the tightest limit of any scope, in percent; NULL when the license sets no limit.';
COMMENT ON COLUMN report_licenses_fullest.counted_at IS 'When these figures were counted (each minute for a license in use, hourly for every license).';

CREATE VIEW report_scopes_counted AS
SELECT s.realm, s.issuer, s.product, s.license_id,
       CASE s.scope WHEN '' THEN 'base' ELSE s.scope END AS scope,
       s.users AS users_limit, coalesce(n.users, 0) AS users_active,
       s.hosts AS hosts_limit, coalesce(n.hosts, 0) AS hosts_active,
       s.rights AS rights_limit, coalesce(n.rights, 0) AS rights_active,
       round(100.0 * greatest(coalesce(n.users, 0)::numeric / nullif(s.users, 0), coalesce(n.hosts, 0)::numeric / nullif(s.hosts, 0),
                              coalesce(n.rights, 0)::numeric / nullif(s.rights, 0)), 1) AS percent_used,
       n.counted_at
FROM license_scopes s
LEFT JOIN usage_now n USING (realm, issuer, product, license_id, scope);
COMMENT ON VIEW report_scopes_counted IS 'report_usage_now as record_usage() last counted it (counted_at), without counting seats: cheap for many licenses.';

ALTER VIEW report_licenses OWNER TO license_owner;
ALTER VIEW report_licenses_fullest OWNER TO license_owner;
ALTER VIEW report_scopes_counted OWNER TO license_owner;
GRANT SELECT ON report_licenses, report_licenses_fullest, report_scopes_counted TO license_reporter;

-- report_usage_by_day: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_usage_by_day AS
SELECT u.realm, u.issuer, u.product, u.license_id, l.licensee, u.scope,
       u.day, u.users, u.hosts, u.peak_users, u.peak_hosts, u.peak_rights, u.checks, u.denials
FROM usage_days u
LEFT JOIN licenses l USING (realm, issuer, product, license_id);
COMMENT ON VIEW report_usage_by_day IS 'Usage by UTC day: per license and scope, distinct users and hosts, peaks of concurrent use, checks and denials.';
COMMENT ON COLUMN report_usage_by_day.scope IS 'base for the product itself, else the option''s name.';
COMMENT ON COLUMN report_usage_by_day.users IS 'Distinct users that checked that day.';
COMMENT ON COLUMN report_usage_by_day.hosts IS 'Distinct computers that checked that day.';
COMMENT ON COLUMN report_usage_by_day.peak_users IS 'Most users with an active seat at once (sampled each minute).';
COMMENT ON COLUMN report_usage_by_day.peak_hosts IS 'Most computers with an active seat at once (sampled each minute).';
COMMENT ON COLUMN report_usage_by_day.peak_rights IS 'Peak rights in use at once: the running instances'' debits (sampled each minute).';
COMMENT ON COLUMN report_usage_by_day.checks IS 'Checks asking for this scope.';
COMMENT ON COLUMN report_usage_by_day.denials IS 'Checks refused (see report_denials_by_day for reasons).';
GRANT SELECT ON report_usage_by_day TO license_reporter;

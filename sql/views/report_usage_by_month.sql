-- report_usage_by_month: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_usage_by_month AS
SELECT m.realm, m.issuer, m.product, m.license_id, l.licensee, m.scope,
       m.month, m.users, m.hosts, m.peak_users, m.peak_hosts, m.peak_rights, m.checks, m.denials
FROM usage_months m
LEFT JOIN licenses l USING (realm, issuer, product, license_id);
COMMENT ON VIEW report_usage_by_month IS 'Usage by UTC month (month = its first day): per license and scope, distinct users and hosts, peaks, checks and denials.';
COMMENT ON COLUMN report_usage_by_month.scope IS 'base for the product itself, else the option''s name.';
COMMENT ON COLUMN report_usage_by_month.users IS 'Distinct users that checked in the month.';
COMMENT ON COLUMN report_usage_by_month.hosts IS 'Distinct computers that checked in the month.';
COMMENT ON COLUMN report_usage_by_month.peak_users IS 'Most users with an active seat at once in the month.';
COMMENT ON COLUMN report_usage_by_month.peak_hosts IS 'Most computers with an active seat at once in the month.';
COMMENT ON COLUMN report_usage_by_month.peak_rights IS 'Peak rights in use at once in the month (the running instances'' debits).';
COMMENT ON COLUMN report_usage_by_month.checks IS 'Checks in the month.';
COMMENT ON COLUMN report_usage_by_month.denials IS 'Refused checks in the month.';
GRANT SELECT ON report_usage_by_month TO license_reporter;

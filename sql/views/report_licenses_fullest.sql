-- report_licenses_fullest: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_licenses_fullest AS
SELECT l.realm, l.issuer, l.product, l.license_id, l.licensee, l.valid_until, f.percent_used, f.counted_at
FROM license_fullness f
JOIN licenses l USING (realm, issuer, product, license_id);
COMMENT ON VIEW report_licenses_fullest IS 'Every license with its fullest limit in percent (as record_usage() last counted it); ORDER BY percent_used DESC NULLS LAST, realm, license_id reads an index.';
COMMENT ON COLUMN report_licenses_fullest.percent_used IS 'In use now over the tightest limit of any scope, in percent; NULL when the license sets no limit.';
COMMENT ON COLUMN report_licenses_fullest.counted_at IS 'When these figures were counted (each minute for a license in use, hourly for every license).';
GRANT SELECT ON report_licenses_fullest TO license_reporter;

-- report_denials_by_day: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

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
GRANT SELECT ON report_denials_by_day TO license_reporter;

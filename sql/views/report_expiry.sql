-- report_expiry: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

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
GRANT SELECT ON report_expiry TO license_reporter;

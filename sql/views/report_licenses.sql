-- report_licenses: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_licenses AS
SELECT realm, issuer, product, license_id, licensee, license_type, valid_from, valid_until, maintenance_until, first_seen, last_seen
FROM licenses;
COMMENT ON VIEW report_licenses IS 'Every license seen (realm, issuer, product, id) with its licensee, type and dates; not its key text.';
GRANT SELECT ON report_licenses TO license_reporter;

-- report_clients: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_clients AS
SELECT c.realm, c.issuer, c.product, c.license_id, l.licensee, c.domain, c.revision, c.first_seen, c.last_seen, c.checks
FROM license_clients c
LEFT JOIN licenses l USING (realm, issuer, product, license_id);
COMMENT ON VIEW report_clients IS 'Domains and program revisions seen per license (checks that passed rules 3 to 6), with first and last check.';
COMMENT ON COLUMN report_clients.domain IS 'The DOMAIN of the startup code, in lower case.';
COMMENT ON COLUMN report_clients.revision IS 'The program''s REVISION.';
COMMENT ON COLUMN report_clients.checks IS 'Checks from this domain and revision.';
GRANT SELECT ON report_clients TO license_reporter;

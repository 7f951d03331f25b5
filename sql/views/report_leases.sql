-- report_leases: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_leases AS
SELECT seat_lease, instance_lease, set_at
FROM leases;
COMMENT ON VIEW report_leases IS 'The leases the pools count seats with: how long a seat stays active without a check.';
COMMENT ON COLUMN report_leases.seat_lease IS 'A seat counts for users and hosts while it was checked within this (license-server --lease).';
COMMENT ON COLUMN report_leases.instance_lease IS 'A seat counts for rights (a running instance) while it was checked within this (--instance-lease).';
COMMENT ON COLUMN report_leases.set_at IS 'When a pool last set them.';
GRANT SELECT ON report_leases TO license_reporter;

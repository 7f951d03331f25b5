-- report_bound_computers: a report view (sql/reports/README.md), owned by license_owner and
-- readable by license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_bound_computers AS
SELECT b.realm, b.issuer, b.product, b.license_id,
       computer_handle(b.computer_hash) AS computer,
       b.bound_at
FROM bindings b;
COMMENT ON VIEW report_bound_computers IS 'Each computer a license is bound to (SPEC §13), and when it was bound.';
COMMENT ON COLUMN report_bound_computers.computer IS 'A handle of the computer: 12 hex digits of its keyed hash (the same computer always shows the same handle; no system ID is kept).';
COMMENT ON COLUMN report_bound_computers.bound_at IS 'When the holder bound it.';
GRANT SELECT ON report_bound_computers TO license_reporter;

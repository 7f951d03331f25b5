-- report_overdraft: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_overdraft AS
SELECT d.realm, d.issuer, d.product, d.license_id, d.scope, d.day, d.limit_kind, d.peak_over,
       round(d.seat_seconds_over / 3600.0, 2) AS seat_hours_over
FROM overdraft_days d;
COMMENT ON VIEW report_overdraft IS 'Overdraft for billing (SPEC §15): per license, scope, kind of limit and UTC day, the peak of seats past the limit and the seat-hours past it; sampled by the pools each minute they serve the scope (at least hourly).';
COMMENT ON COLUMN report_overdraft.issuer IS 'The issuer that signed the license''s keys; with realm, product and license_id it names the license.';
COMMENT ON COLUMN report_overdraft.scope IS 'base for the product itself, else the option''s name.';
COMMENT ON COLUMN report_overdraft.day IS 'The UTC day.';
COMMENT ON COLUMN report_overdraft.limit_kind IS 'users, hosts or rights: the limit the seats went past.';
COMMENT ON COLUMN report_overdraft.peak_over IS 'The most seats (for rights: rights) past the limit at once that day.';
COMMENT ON COLUMN report_overdraft.seat_hours_over IS 'Seats past the limit times the hours they were, summed over the day.';
GRANT SELECT ON report_overdraft TO license_reporter;

-- report_borrowed_seats: a report view (sql/reports/README.md), owned by license_owner and
-- readable by license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_borrowed_seats AS
SELECT s.realm, s.issuer, s.product, s.license_id, s.scope,
       computer_handle(s.computer_hash) AS computer,
       s.rights, s.last_seen, s.borrowed_until
FROM seats s
WHERE s.borrowed_until > now();
COMMENT ON VIEW report_borrowed_seats IS 'Seats borrowed now (SPEC §14): they count until borrowed_until without checks, unless returned.';
COMMENT ON COLUMN report_borrowed_seats.scope IS 'base for the product itself, else the option''s name.';
COMMENT ON COLUMN report_borrowed_seats.computer IS 'A handle of the computer that borrowed: 12 hex digits of its keyed hash (no system ID is kept).';
COMMENT ON COLUMN report_borrowed_seats.rights IS 'The rights the seat debits.';
COMMENT ON COLUMN report_borrowed_seats.last_seen IS 'When the seat was last checked (the borrow, or a check since).';
COMMENT ON COLUMN report_borrowed_seats.borrowed_until IS 'When the borrow ends: the seat stops counting then, unless checked again.';
GRANT SELECT ON report_borrowed_seats TO license_reporter;

-- report_active_seats: a report view (sql/reports/README.md), owned by license_owner and readable
-- by license_reporter, the role of DBAs' reports and the console; licensectl seats reads it.

CREATE VIEW report_active_seats AS
SELECT s.realm, s.issuer, s.product, s.license_id, s.scope,
       seat_handle(s.user_hash, s.instance_hash, s.computer_hash) AS seat,
       computer_handle(s.computer_hash) AS computer,
       s.rights, s.first_seen, s.last_seen, s.borrowed_until, s.overdraft, s.released_at
FROM seats s
JOIN license_scopes l USING (realm, issuer, product, license_id, scope)
WHERE seat_counts(s.last_seen, s.borrowed_until, s.released_at, seat_active_since(now()), now())
   OR right_counts(s.last_seen, s.borrowed_until, s.released_at, instance_active_since(now()), l.linger, now());
COMMENT ON VIEW report_active_seats IS 'Every seat that counts now (SPEC §15), per scope, named by handles: what licensectl seats lists and licensectl free ends.';
COMMENT ON COLUMN report_active_seats.issuer IS 'The issuer that signed the license''s keys; with realm, product and license_id it names the license.';
COMMENT ON COLUMN report_active_seats.scope IS 'base for the product itself, else the option''s name.';
COMMENT ON COLUMN report_active_seats.seat IS 'The seat''s handle: 12 hex digits of its keyed hashes, the same in every scope (licensectl free HANDLE).';
COMMENT ON COLUMN report_active_seats.computer IS 'Its computer''s handle: 12 hex digits of the computer''s keyed hash.';
COMMENT ON COLUMN report_active_seats.rights IS 'The rights it debits.';
COMMENT ON COLUMN report_active_seats.first_seen IS 'When it was admitted.';
COMMENT ON COLUMN report_active_seats.last_seen IS 'When it was last checked.';
COMMENT ON COLUMN report_active_seats.borrowed_until IS 'When its borrow ends (SPEC §14); NULL: not borrowed.';
COMMENT ON COLUMN report_active_seats.overdraft IS 'Whether it was admitted past a limit, within the scope''s overdraft= (SPEC §15).';
COMMENT ON COLUMN report_active_seats.released_at IS 'When it was released, in a scope whose released rights linger (SPEC §15); NULL: running.';
GRANT SELECT ON report_active_seats TO license_reporter;

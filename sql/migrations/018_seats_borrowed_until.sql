-- SPEC §14: a borrowed seat counts, for users, hosts and rights, until the borrow ends, whatever
-- its leases (seat_counts in sql/functions/leases.sql). NULL: not borrowed.
ALTER TABLE seats ADD COLUMN borrowed_until timestamptz;
COMMENT ON COLUMN seats.borrowed_until IS 'When the seat''s borrow ends (the code''s borrow= line); it counts until then without checks. NULL: not borrowed.';

-- SPEC §2's rights= line: a start debits its rights, usually one. The rights in use of a scope
-- are the sum of its active instances' debits (take_seat in sql/functions/seats.sql). Existing
-- seats debited one. A constant default: PostgreSQL adds the column without rewriting the table.
ALTER TABLE seats ADD COLUMN rights integer NOT NULL DEFAULT 1 CHECK (rights BETWEEN 1 AND 1000000);
COMMENT ON COLUMN seats.rights IS 'The rights this instance debits (the code''s rights= line, else 1); rights in use are their sum over active instances.';

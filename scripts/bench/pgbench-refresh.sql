-- What the pool runs for a check of a known active seat: take_seat (sql/functions/seats.sql),
-- which checks revocation and refreshes the seat; on the 10 seats of each of the 1 000 licenses
-- of realm 'pgbench' (pgbench-setup.sql), whose hashes pgbench can compute.
\set license random(1, 1000)
\set user random(1, 10)
SELECT outcome, refused_scope, floor(extract(epoch FROM active_until))::bigint AS until, lease_seconds
FROM take_seat('pgbench', 'default', 'X-BENCH', 'P' || :license, '0123456789abcdef', '{base}', '{1000000000}', '{NULL}', '{NULL}',
               sha256(('pgb-' || :license || '-' || :user)::bytea), sha256(('pgb-' || :license || '-' || :user)::bytea),
               sha256(('pgb-' || :license || '-' || :user)::bytea), 1, false, NULL, '{NULL}', '{NULL}');

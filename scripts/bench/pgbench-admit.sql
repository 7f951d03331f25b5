-- What the pool runs for a check of a new user on a license with room: take_seat
-- (sql/functions/seats.sql), which finds no active seat to refresh, then locks the license,
-- counts and inserts, committed synchronously; on the bench's own 1 000 licenses (bench-1 …
-- bench-1000), so that it counts the seats the pool's admissions counted.
\set license random(1, 1000)
\set user random(1, 1000000000000)
SELECT outcome, refused_scope, floor(extract(epoch FROM active_until))::bigint AS until, lease_seconds
FROM take_seat('default', 'default', 'X-BENCH', 'bench-' || :license, '0123456789abcdef', '{base}', '{1000000000}', '{NULL}',
               '{NULL}', sha256(('new-' || :user)::bytea), sha256(('new-' || :user)::bytea), sha256(('new-' || :user)::bytea), 1, false, NULL, '{NULL}', '{NULL}');

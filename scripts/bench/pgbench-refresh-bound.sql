-- The refresh of pgbench-refresh.sql for a key its holder binds (bind=, SPEC §13) on a computer
-- it bound: take_seat also finds the computer's binding (must_be_bound); pgbench-setup.sql binds
-- every seat's computer.
\set license random(1, 1000)
\set user random(1, 10)
SELECT outcome, refused_scope, floor(extract(epoch FROM active_until))::bigint AS until, lease_seconds
FROM take_seat('pgbench', 'default', 'X-BENCH', 'P' || :license, '0123456789abcdef', '{base}', '{1000000000}', '{NULL}', '{NULL}',
               sha256(('pgb-' || :license || '-' || :user)::bytea), sha256(('pgb-' || :license || '-' || :user)::bytea),
               sha256(('pgb-' || :license || '-' || :user)::bytea), 1, true, NULL, '{NULL}', '{NULL}');

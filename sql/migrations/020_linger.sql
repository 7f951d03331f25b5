-- SPEC §15 linger: a scope's linger=DURATION keeps a released or lapsed right counting that much
-- longer. A released seat of such a scope is kept, marked released, instead of deleted, so that
-- its right lingers and the same user and instance can take it back without admission.
ALTER TABLE license_scopes ADD COLUMN linger interval CHECK (linger > interval '0');
COMMENT ON COLUMN license_scopes.linger IS 'linger= of the scope: a released or lapsed right keeps counting this long; NULL: none.';

ALTER TABLE seats ADD COLUMN released_at timestamptz;
COMMENT ON COLUMN seats.released_at IS 'When the seat was released (/release) in a scope with linger=; it counts for rights until released_at + linger, and for nothing else. NULL: not released.';

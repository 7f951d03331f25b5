-- The base product's scope is stored as 'base', the name SPEC §3 gives it in answers and reports,
-- instead of the empty string that every view, the pool and the console translated. Keys may no
-- longer name an option `base` (SPEC §1's grammar allows it; this server answers such a key
-- malformed-key and licensectl issue refuses it), so the name is the base product's alone.
--
-- Rows of an option once named `base` (keys 0.4.0 accepted) cannot keep that name: their seats
-- and limits go (those keys are refused from now on), their history is kept as 'option:base'.

DELETE FROM seats WHERE scope = 'base';
DELETE FROM license_scopes WHERE scope = 'base';
DELETE FROM usage_now WHERE scope = 'base';
UPDATE usage_days SET scope = 'option:base' WHERE scope = 'base';
UPDATE usage_months SET scope = 'option:base' WHERE scope = 'base';

UPDATE seats SET scope = 'base' WHERE scope = '';
UPDATE license_scopes SET scope = 'base' WHERE scope = '';
UPDATE usage_now SET scope = 'base' WHERE scope = '';
UPDATE usage_days SET scope = 'base' WHERE scope = '';
UPDATE usage_months SET scope = 'base' WHERE scope = '';

COMMENT ON COLUMN license_scopes.scope IS 'base for the base product, else the option''s name (no option may be named base).';

-- The console's search (SPEC §12) finds a license by its exact id or by a part of its
-- licensee's name (`license_id = $1 OR licensee ILIKE '%part%'`). By id it read every license,
-- since the primary key starts with the realm; this index is also how a DBA's "every license of
-- that id" is found. A part of a name still reads every license (0.1–0.3 s over 100 000): a
-- trigram index would need pg_trgm, which license_owner, who runs the migrations, may not create.
CREATE INDEX licenses_by_license_id ON licenses (license_id);

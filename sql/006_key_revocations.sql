-- Revoking one key, not its whole license (licensectl revoke --key-file, SPEC §6).
--
-- Keys with the same issuer, product and id are one license, so a re-issued key (say, with
-- fewer users) and the old one share seats; revoking the license's id refused both. A row
-- with a fingerprint (the first 16 hex digits of SHA-256 of a key's signed message) refuses
-- only the key of that message; the license's other keys keep working.

ALTER TABLE revocations ALTER COLUMN license_id DROP NOT NULL;
ALTER TABLE revocations ADD COLUMN fingerprint text CHECK (fingerprint ~ '^[0-9a-f]{16}$');
ALTER TABLE revocations ADD CONSTRAINT revocations_license_or_key CHECK ((license_id IS NULL) <> (fingerprint IS NULL));
CREATE UNIQUE INDEX revocations_of_keys ON revocations (fingerprint, coalesce(realm, '')) WHERE fingerprint IS NOT NULL;

COMMENT ON TABLE revocations IS 'Revoked licenses (by id, whatever their issuer or product) and revoked keys (by fingerprint), also those not seen yet (licensectl revoke).';
COMMENT ON COLUMN revocations.license_id IS 'A revoked license''s id= (else its fingerprint); NULL in a row that revokes one key.';
COMMENT ON COLUMN revocations.fingerprint IS 'A revoked key''s fingerprint; NULL in a row that revokes a license.';

-- Licenses, their scopes, seats and revocations (SPEC §4).
-- Applied by `licensectl migrate` as the owner role, in one transaction.
--
-- Privacy: seats hold HMAC-SHA-256 hashes (keyed with the pool's --secret) of user, instance
-- and computer IDs, never the IDs themselves: usage can be counted, not traced to a computer.

CREATE TABLE licenses (
    realm             text        NOT NULL,
    license_id        text        NOT NULL,
    fingerprint       text        NOT NULL,
    product           text        NOT NULL,
    licensee          text,
    license_type      text        NOT NULL CHECK (license_type IN ('floating', 'nodelocked')),
    issuer            text        NOT NULL,
    key_fields        text        NOT NULL,
    valid_from        date,
    valid_until       date,
    maintenance_from  date,
    maintenance_until date,
    first_seen        timestamptz NOT NULL DEFAULT now(),
    last_seen         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (realm, license_id)
);
COMMENT ON TABLE licenses IS 'Every license whose key was seen with a valid signature, per realm; keys with the same id are one license.';
COMMENT ON COLUMN licenses.realm IS 'The realm (license domain group) the key was checked in.';
COMMENT ON COLUMN licenses.license_id IS 'The key''s id= field, else its fingerprint.';
COMMENT ON COLUMN licenses.fingerprint IS 'First 16 hex digits of SHA-256 of the signed message of the latest key seen.';
COMMENT ON COLUMN licenses.key_fields IS 'The signed message (the key without its signature) of the latest key seen.';
COMMENT ON COLUMN licenses.first_seen IS 'When a key of this license was first checked.';
COMMENT ON COLUMN licenses.last_seen IS 'When a key of this license was last registered by a pool (at most a minute old while in use).';

CREATE TABLE license_scopes (
    realm      text   NOT NULL,
    license_id text   NOT NULL,
    scope      text   NOT NULL,
    rights     bigint CHECK (rights >= 1),
    users      bigint CHECK (users >= 1),
    hosts      bigint CHECK (hosts >= 1),
    PRIMARY KEY (realm, license_id, scope),
    FOREIGN KEY (realm, license_id) REFERENCES licenses ON DELETE CASCADE
);
COMMENT ON TABLE license_scopes IS 'The limits of each scope of a license, as its latest key sets them.';
COMMENT ON COLUMN license_scopes.scope IS 'The empty string for the base product, else the option name.';
COMMENT ON COLUMN license_scopes.rights IS 'Running instances allowed; NULL: no limit.';
COMMENT ON COLUMN license_scopes.users IS 'Distinct users allowed; NULL: no limit.';
COMMENT ON COLUMN license_scopes.hosts IS 'Distinct computers allowed; NULL: no limit.';

CREATE TABLE seats (
    realm         text        NOT NULL,
    license_id    text        NOT NULL,
    scope         text        NOT NULL,
    user_hash     bytea       NOT NULL,
    instance_hash bytea       NOT NULL,
    computer_hash bytea       NOT NULL,
    first_seen    timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (realm, license_id, scope, user_hash, instance_hash),
    FOREIGN KEY (realm, license_id) REFERENCES licenses ON DELETE CASCADE
);
COMMENT ON TABLE seats IS 'One row per (license, scope, user, instance); active while last_seen is within the pool''s lease.';
COMMENT ON COLUMN seats.user_hash IS 'HMAC-SHA-256 of the client''s user ID.';
COMMENT ON COLUMN seats.instance_hash IS 'HMAC-SHA-256 of the instance ID (the user ID when the client sent none).';
COMMENT ON COLUMN seats.computer_hash IS 'HMAC-SHA-256 of the system ID (the user ID when the client sent none); counted for hosts=.';
COMMENT ON COLUMN seats.first_seen IS 'When this seat was admitted (again, after it had lapsed).';
COMMENT ON COLUMN seats.last_seen IS 'The seat''s latest check.';

-- Admission counts the active seats of a license's scopes.
CREATE INDEX seats_by_scope_and_time ON seats (realm, license_id, scope, last_seen);

CREATE TABLE revocations (
    realm      text,
    license_id text        NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX revocations_once ON revocations (license_id, coalesce(realm, ''));
COMMENT ON TABLE revocations IS 'Revoked licenses, also those not seen yet (licensectl revoke).';
COMMENT ON COLUMN revocations.realm IS 'The realm, or NULL for every realm.';

-- The pool's rights: exactly what its statements need. Log in as a role that is a member of it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'license_pool') THEN
        CREATE ROLE license_pool NOLOGIN;
    END IF;
END
$$;
GRANT SELECT, INSERT, UPDATE ON licenses, license_scopes TO license_pool;
GRANT DELETE ON license_scopes TO license_pool;
GRANT SELECT, INSERT, UPDATE, DELETE ON seats TO license_pool;
GRANT SELECT ON revocations TO license_pool;

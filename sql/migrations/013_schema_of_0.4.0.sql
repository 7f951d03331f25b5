-- The tables of release 0.4.0, in one migration: what its migrations 001–013 left, without
-- their functions and views (those live in sql/functions/ and sql/views/ and are made whole by
-- every `licensectl migrate`).
--
-- It is numbered 013 because a database migrated by 0.4.0 recorded versions 1–13 and must not
-- run it; a new database runs it alone. A database from before 0.4.0 (some of 1–12 recorded)
-- is refused: migrate it with 0.4.0's licensectl first.
--
-- Privacy: seats hold HMAC-SHA-256 hashes (keyed with the pool's --secret) of user, instance
-- and computer IDs, never the IDs themselves: usage can be counted, not traced to a computer.

DO $$
BEGIN
    IF EXISTS (SELECT FROM schema_migrations) THEN
        RAISE EXCEPTION 'this database was migrated by a release before 0.4.0: run 0.4.0''s licensectl migrate first';
    END IF;
END
$$;

-- Roles. license_owner owns every object (licensectl migrate runs as it); license_pool gets what
-- the pool's statements need; license_reporter reads the report views and nothing else: no
-- hashes, no secrets, no key text. Roles are the cluster's: another database may have made them.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'license_owner') THEN
        CREATE ROLE license_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'license_pool') THEN
        CREATE ROLE license_pool NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'license_reporter') THEN
        CREATE ROLE license_reporter NOLOGIN;
    END IF;
END
$$;
-- Since PostgreSQL 15 only the database owner creates in schema public.
GRANT CREATE ON SCHEMA public TO license_owner;
ALTER TABLE schema_migrations OWNER TO license_owner;
-- Everything below is license_owner's.
SET LOCAL ROLE license_owner;

-- A license is (realm, issuer, product, id) (SPEC §1).
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
    PRIMARY KEY (realm, license_id, issuer, product)
);
COMMENT ON TABLE licenses IS 'Every license whose key was seen with a valid signature, per realm: keys with the same issuer, product and id are one license.';
COMMENT ON COLUMN licenses.realm IS 'The realm (license domain group) the key was checked in.';
COMMENT ON COLUMN licenses.license_id IS 'The key''s id= field, else its fingerprint.';
COMMENT ON COLUMN licenses.fingerprint IS 'First 16 hex digits of SHA-256 of the signed message of the latest key seen.';
COMMENT ON COLUMN licenses.product IS 'The key''s product; part of the license''s identity.';
COMMENT ON COLUMN licenses.issuer IS 'The issuer whose public key verified the key (issuer=, else default); part of the license''s identity.';
COMMENT ON COLUMN licenses.key_fields IS 'The signed message (the key without its signature) of the latest key seen.';
COMMENT ON COLUMN licenses.first_seen IS 'When a key of this license was first checked.';
COMMENT ON COLUMN licenses.last_seen IS 'When a key of this license was last registered by a pool (at most a minute old while in use).';
-- The console's search by license id.
CREATE INDEX licenses_by_license_id ON licenses (license_id);
GRANT SELECT, INSERT, UPDATE ON licenses TO license_pool;

CREATE TABLE license_scopes (
    realm      text   NOT NULL,
    license_id text   NOT NULL,
    scope      text   NOT NULL,
    rights     bigint CHECK (rights >= 1),
    users      bigint CHECK (users >= 1),
    hosts      bigint CHECK (hosts >= 1),
    issuer     text   NOT NULL,
    product    text   NOT NULL,
    PRIMARY KEY (realm, license_id, issuer, product, scope),
    FOREIGN KEY (realm, license_id, issuer, product) REFERENCES licenses ON DELETE CASCADE
);
COMMENT ON TABLE license_scopes IS 'The limits of each scope of a license, as its latest key sets them.';
COMMENT ON COLUMN license_scopes.scope IS 'The empty string for the base product, else the option name.';
COMMENT ON COLUMN license_scopes.rights IS 'Running instances allowed; NULL: no limit.';
COMMENT ON COLUMN license_scopes.users IS 'Distinct users allowed; NULL: no limit.';
COMMENT ON COLUMN license_scopes.hosts IS 'Distinct computers allowed; NULL: no limit.';
GRANT SELECT, INSERT, UPDATE, DELETE ON license_scopes TO license_pool;

-- A refresh changes only last_seen. With no index on it, PostgreSQL updates the row in place (a
-- HOT update: no new index entries, less WAL, no index bloat), given room on the page: hence
-- the fill factor. Active seats of a license scope are found through the primary key's prefix.
CREATE TABLE seats (
    realm         text        NOT NULL,
    license_id    text        NOT NULL,
    scope         text        NOT NULL,
    user_hash     bytea       NOT NULL,
    instance_hash bytea       NOT NULL,
    computer_hash bytea       NOT NULL,
    first_seen    timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    issuer        text        NOT NULL,
    product       text        NOT NULL,
    PRIMARY KEY (realm, license_id, issuer, product, scope, user_hash, instance_hash, computer_hash),
    FOREIGN KEY (realm, license_id, issuer, product) REFERENCES licenses ON DELETE CASCADE
) WITH (fillfactor = 80);
COMMENT ON TABLE seats IS 'One row per (license, scope, user, instance, computer); active while last_seen is within the lease (leases.seat_lease).';
COMMENT ON COLUMN seats.user_hash IS 'HMAC-SHA-256 of the client''s user ID.';
COMMENT ON COLUMN seats.instance_hash IS 'HMAC-SHA-256 of the instance ID (the user ID when the client sent none).';
COMMENT ON COLUMN seats.computer_hash IS 'HMAC-SHA-256 of the system ID (the user ID when the client sent none); part of the seat, counted for hosts=.';
COMMENT ON COLUMN seats.first_seen IS 'When this seat was admitted (again, after it had lapsed).';
COMMENT ON COLUMN seats.last_seen IS 'The seat''s latest check.';
-- Admission counts a scope's distinct computers.
CREATE INDEX seats_by_computer ON seats (realm, license_id, issuer, product, scope, computer_hash);
GRANT SELECT, INSERT, UPDATE, DELETE ON seats TO license_pool;

CREATE TABLE revocations (
    realm       text,
    license_id  text,
    revoked_at  timestamptz NOT NULL DEFAULT now(),
    fingerprint text CHECK (fingerprint ~ '^[0-9a-f]{16}$'),
    CONSTRAINT revocations_license_or_key CHECK ((license_id IS NULL) <> (fingerprint IS NULL))
);
COMMENT ON TABLE revocations IS 'Revoked licenses (by id, whatever their issuer or product) and revoked keys (by fingerprint), also those not seen yet (licensectl revoke).';
COMMENT ON COLUMN revocations.realm IS 'The realm, or NULL for every realm.';
COMMENT ON COLUMN revocations.license_id IS 'A revoked license''s id= (else its fingerprint); NULL in a row that revokes one key.';
COMMENT ON COLUMN revocations.fingerprint IS 'A revoked key''s fingerprint; NULL in a row that revokes a license.';
CREATE UNIQUE INDEX revocations_once ON revocations (license_id, coalesce(realm, ''));
CREATE UNIQUE INDEX revocations_of_keys ON revocations (fingerprint, coalesce(realm, '')) WHERE fingerprint IS NOT NULL;
GRANT SELECT ON revocations TO license_pool;

-- The leases, in one place (SPEC §4 rule 9, §8): one row, set by the pools through set_leases().
CREATE TABLE leases (
    only_row       boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    seat_lease     interval    NOT NULL DEFAULT interval '24 hours'
        CHECK (seat_lease >= interval '1 second' AND seat_lease <= interval '3650 days'),
    set_at         timestamptz NOT NULL DEFAULT now(),
    instance_lease interval    NOT NULL DEFAULT interval '15 minutes',
    CONSTRAINT instance_lease_within_seat_lease CHECK (instance_lease >= interval '1 second' AND instance_lease <= seat_lease)
);
COMMENT ON TABLE leases IS 'How long a seat stays active without a check: one row, set by the pools (license-server --lease) through set_leases().';
COMMENT ON COLUMN leases.seat_lease IS 'A seat counts for users and hosts while it was checked within this (--lease).';
COMMENT ON COLUMN leases.set_at IS 'When a pool last set it.';
COMMENT ON COLUMN leases.instance_lease IS 'A seat counts for rights (a running instance) while it was checked within this (--instance-lease); at most seat_lease.';
INSERT INTO leases DEFAULT VALUES;
GRANT SELECT ON leases TO license_pool, license_reporter;

-- Usage history grows with licenses × days × scopes, never with the number of checks: the pool
-- counts checks, denials and clients in memory and adds them once a minute (add_usage_counts);
-- record_usage rolls the seats up. Days and months are UTC. The denials of keys that never
-- verified, and history whose license row is gone, name the empty issuer and product.
CREATE TABLE usage_days (
    realm        text    NOT NULL,
    license_id   text    NOT NULL,
    scope        text    NOT NULL,
    day          date    NOT NULL,
    users        integer NOT NULL DEFAULT 0,
    hosts        integer NOT NULL DEFAULT 0,
    peak_users   integer NOT NULL DEFAULT 0,
    peak_hosts   integer NOT NULL DEFAULT 0,
    peak_rights  integer NOT NULL DEFAULT 0,
    checks       bigint  NOT NULL DEFAULT 0,
    denials      bigint  NOT NULL DEFAULT 0,
    users_limit  bigint,
    hosts_limit  bigint,
    rights_limit bigint,
    issuer       text    NOT NULL DEFAULT '',
    product      text    NOT NULL DEFAULT '',
    PRIMARY KEY (realm, license_id, issuer, product, scope, day)
);
COMMENT ON TABLE usage_days IS 'Usage of each license scope per UTC day; kept until licensectl purge --older-than.';
COMMENT ON COLUMN usage_days.users IS 'Distinct users that checked this scope that day.';
COMMENT ON COLUMN usage_days.hosts IS 'Distinct computers that checked this scope that day.';
COMMENT ON COLUMN usage_days.peak_users IS 'Most users holding an active seat at once (sampled each minute).';
COMMENT ON COLUMN usage_days.peak_hosts IS 'Most computers holding an active seat at once (sampled each minute).';
COMMENT ON COLUMN usage_days.peak_rights IS 'Most active seats (running instances) at once (sampled each minute).';
COMMENT ON COLUMN usage_days.checks IS 'Checks that asked for this scope.';
COMMENT ON COLUMN usage_days.denials IS 'Checks refused; a refusal for a limit counts in the scope that lacked room, others in the base scope.';
COMMENT ON COLUMN usage_days.users_limit IS 'The scope''s users= limit when the day was rolled up; NULL: none.';
COMMENT ON COLUMN usage_days.hosts_limit IS 'The scope''s hosts= limit when the day was rolled up; NULL: none.';
COMMENT ON COLUMN usage_days.rights_limit IS 'The scope''s rights= limit when the day was rolled up; NULL: none.';
-- Reports over a period across all licenses ("yesterday", "the last 30 days") read by day.
CREATE INDEX usage_days_by_day ON usage_days (day);
-- The few days on which a scope came near a limit, for report_near_limit. "peak >= 90 % of
-- limit" is written peak >= limit - limit / 10: peak * 10 >= limit * 9 overflows bigint.
CREATE INDEX usage_days_near_limit ON usage_days (day)
    WHERE peak_users >= users_limit - users_limit / 10 OR peak_hosts >= hosts_limit - hosts_limit / 10
       OR peak_rights >= rights_limit - rights_limit / 10;
GRANT SELECT, INSERT, UPDATE ON usage_days TO license_pool;

-- Distinct users and hosts per month, which no sum of days gives.
CREATE TABLE usage_months (
    realm       text    NOT NULL,
    license_id  text    NOT NULL,
    scope       text    NOT NULL,
    month       date    NOT NULL,
    users       integer NOT NULL DEFAULT 0,
    hosts       integer NOT NULL DEFAULT 0,
    peak_users  integer NOT NULL DEFAULT 0,
    peak_hosts  integer NOT NULL DEFAULT 0,
    peak_rights integer NOT NULL DEFAULT 0,
    checks      bigint  NOT NULL DEFAULT 0,
    denials     bigint  NOT NULL DEFAULT 0,
    issuer      text    NOT NULL DEFAULT '',
    product     text    NOT NULL DEFAULT '',
    PRIMARY KEY (realm, license_id, issuer, product, scope, month)
);
COMMENT ON TABLE usage_months IS 'Usage of each license scope per UTC month (month = its first day), kept beside the days so that a month reads one row.';
COMMENT ON COLUMN usage_months.users IS 'Distinct users that checked this scope in the month (no sum of days gives it).';
COMMENT ON COLUMN usage_months.hosts IS 'Distinct computers that checked this scope in the month.';
COMMENT ON COLUMN usage_months.peak_users IS 'Most users holding an active seat at once in the month.';
COMMENT ON COLUMN usage_months.peak_hosts IS 'Most computers holding an active seat at once in the month.';
COMMENT ON COLUMN usage_months.peak_rights IS 'Most active seats at once in the month.';
COMMENT ON COLUMN usage_months.checks IS 'Checks that asked for this scope in the month.';
COMMENT ON COLUMN usage_months.denials IS 'Checks refused in the month.';
CREATE INDEX usage_months_by_month ON usage_months (month);
GRANT SELECT, INSERT, UPDATE ON usage_months TO license_pool;

CREATE TABLE denial_days (
    realm      text   NOT NULL,
    license_id text   NOT NULL,
    day        date   NOT NULL,
    reason     text   NOT NULL,
    denials    bigint NOT NULL DEFAULT 0,
    issuer     text   NOT NULL DEFAULT '',
    product    text   NOT NULL DEFAULT '',
    PRIMARY KEY (realm, license_id, issuer, product, day, reason)
);
COMMENT ON TABLE denial_days IS 'Refused checks per license, UTC day and reason.';
COMMENT ON COLUMN denial_days.license_id IS 'The license; the empty string for keys that failed before their signature verified (malformed-key, unsupported-field, unknown-issuer, bad-signature), which name no license one can trust.';
COMMENT ON COLUMN denial_days.issuer IS 'The license''s issuer; the empty string for keys that failed before their signature verified.';
CREATE INDEX denial_days_by_day ON denial_days (day);
GRANT SELECT, INSERT, UPDATE ON denial_days TO license_pool;

CREATE TABLE license_clients (
    realm      text        NOT NULL,
    license_id text        NOT NULL,
    domain     text        NOT NULL,
    revision   text        NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    checks     bigint      NOT NULL DEFAULT 0,
    issuer     text        NOT NULL DEFAULT '',
    product    text        NOT NULL DEFAULT '',
    PRIMARY KEY (realm, license_id, issuer, product, domain, revision)
);
COMMENT ON TABLE license_clients IS 'Domains and program revisions that checked each license (checks that passed rules 3 to 6), at most 100 new ones per license and UTC day.';
GRANT SELECT, INSERT, UPDATE ON license_clients TO license_pool;

-- "In use now" per license scope as record_usage() last counted it, and per license its fullest
-- limit, indexed: the console's list of 100 000 licenses, the fullest first, reads an index
-- instead of counting every seat at every page load.
CREATE TABLE usage_now (
    realm      text        NOT NULL,
    issuer     text        NOT NULL,
    product    text        NOT NULL,
    license_id text        NOT NULL,
    scope      text        NOT NULL,
    users      integer     NOT NULL,
    hosts      integer     NOT NULL,
    rights     integer     NOT NULL,
    counted_at timestamptz NOT NULL,
    PRIMARY KEY (realm, issuer, product, license_id, scope)
);
COMMENT ON TABLE usage_now IS 'Active users, computers and rights per license scope as record_usage() last counted them (counted_at).';
GRANT SELECT, INSERT, UPDATE ON usage_now TO license_pool;

CREATE TABLE license_fullness (
    realm        text        NOT NULL,
    issuer       text        NOT NULL,
    product      text        NOT NULL,
    license_id   text        NOT NULL,
    percent_used numeric,
    counted_at   timestamptz NOT NULL,
    PRIMARY KEY (realm, issuer, product, license_id)
);
COMMENT ON TABLE license_fullness IS 'Per license, its fullest limit in percent over its scopes when last counted; NULL when it sets no limit.';
CREATE INDEX license_fullness_fullest ON license_fullness (percent_used DESC NULLS LAST, realm, license_id, issuer, product);
GRANT SELECT, INSERT, UPDATE ON license_fullness TO license_pool;

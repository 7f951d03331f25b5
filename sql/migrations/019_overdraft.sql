-- SPEC §15 overdraft: a scope's overdraft=N lets admission go N seats past each of its limits; a
-- start admitted past one is marked, and the usage recorder samples how far past the limits each
-- such scope is, for the vendor's bill (report_overdraft).
ALTER TABLE license_scopes ADD COLUMN overdraft bigint CHECK (overdraft >= 1);
COMMENT ON COLUMN license_scopes.overdraft IS 'overdraft= of the scope: admission may go this many seats past each of its limits; NULL: none.';

ALTER TABLE seats ADD COLUMN overdraft boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN seats.overdraft IS 'Whether the seat was admitted past a limit of its scope (within its overdraft=).';

-- The latest sample of each scope and kind of limit (record_usage): how far past the limit it was
-- and when, so that the next sample adds the seat-seconds in between.
CREATE TABLE overdraft_now (
    realm       text        NOT NULL,
    license_id  text        NOT NULL,
    issuer      text        NOT NULL,
    product     text        NOT NULL,
    scope       text        NOT NULL,
    limit_kind  text        NOT NULL CHECK (limit_kind IN ('users', 'hosts', 'rights')),
    over        bigint      NOT NULL,
    sampled_at  timestamptz NOT NULL,
    PRIMARY KEY (realm, license_id, issuer, product, scope, limit_kind),
    FOREIGN KEY (realm, license_id, issuer, product) REFERENCES licenses ON DELETE CASCADE
);
COMMENT ON TABLE overdraft_now IS 'The latest overdraft sample per license scope and kind of limit: seats past the limit, and when.';
GRANT SELECT, INSERT, UPDATE ON overdraft_now TO license_pool;

CREATE TABLE overdraft_days (
    realm             text   NOT NULL,
    license_id        text   NOT NULL,
    issuer            text   NOT NULL,
    product           text   NOT NULL,
    scope             text   NOT NULL,
    day               date   NOT NULL,
    limit_kind        text   NOT NULL CHECK (limit_kind IN ('users', 'hosts', 'rights')),
    peak_over         bigint NOT NULL DEFAULT 0,
    seat_seconds_over bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (realm, license_id, issuer, product, scope, day, limit_kind)
);
COMMENT ON TABLE overdraft_days IS 'Overdraft per license scope, kind of limit and UTC day: the peak of seats past the limit and the seat-seconds past it.';
CREATE INDEX overdraft_days_by_day ON overdraft_days (day);
GRANT SELECT, INSERT, UPDATE ON overdraft_days TO license_pool;

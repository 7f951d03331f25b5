-- SPEC §13: a license its holder binds to computers. The bindings belong to the license (its keys
-- share them), hold a keyed hash of the system ID (the same hash as seats.computer_hash, so that
-- take_seat finds a binding by equality), and last until unbound; unbindings are kept to limit
-- them per 30 days (license-server --unbind-limit). bind_limit is the latest key's bind=.
ALTER TABLE licenses ADD COLUMN bind_limit bigint CHECK (bind_limit >= 1);
COMMENT ON COLUMN licenses.bind_limit IS 'bind= of the latest key seen: how many computers the holder may bind; NULL: none.';

CREATE TABLE bindings (
    realm         text        NOT NULL,
    license_id    text        NOT NULL,
    issuer        text        NOT NULL,
    product       text        NOT NULL,
    computer_hash bytea       NOT NULL,
    bound_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (realm, license_id, issuer, product, computer_hash),
    FOREIGN KEY (realm, license_id, issuer, product) REFERENCES licenses ON DELETE CASCADE
);
COMMENT ON TABLE bindings IS 'Computers a license''s holder bound it to (POST /bind); one row per computer until unbound.';
COMMENT ON COLUMN bindings.computer_hash IS 'HMAC-SHA-256 of the computer''s system ID, as seats.computer_hash.';
GRANT SELECT, INSERT, DELETE ON bindings TO license_pool;

CREATE TABLE unbindings (
    realm       text        NOT NULL,
    license_id  text        NOT NULL,
    issuer      text        NOT NULL,
    product     text        NOT NULL,
    unbound_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (realm, license_id, issuer, product) REFERENCES licenses ON DELETE CASCADE
);
COMMENT ON TABLE unbindings IS 'Each unbinding that ended a binding (POST /unbind), for the limit per 30 days.';
CREATE INDEX unbindings_by_license ON unbindings (realm, license_id, issuer, product, unbound_at);
GRANT SELECT, INSERT ON unbindings TO license_pool;

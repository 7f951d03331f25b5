-- Binding a license to computers, by its holder (SPEC §13): POST /bind and /unbind. A binding is
-- the license's (its keys share it) and holds the computer's keyed hash, as seats do; take_seat
-- (seats.sql) reads it for rule 7. Both functions take the license's row lock, as admission
-- does, so that no number of concurrent binds binds more than the key allows, and no number of
-- concurrent unbinds passes the limit.
--
-- outcome: bound / unbound, revoked, unregistered (no licenses row: register, then call again),
--          or the refusal: binding (bind_limit computers are bound), unbind-limit
-- bound:   how many computers are bound after the call (NULL for revoked and unregistered)

-- What both begin with: rule 3, then the license's row lock for the rest of the transaction,
-- which commits synchronously (durable before the answer, as an admission is, seats.sql) and
-- waits a second at most for the lock. NULL once locked; else revoked, or unregistered.
CREATE FUNCTION lock_license_to_bind(license_realm text, license_issuer text, license_product text, license text,
                                     key_fingerprint text) RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
    IF (SELECT r.revoked FROM license_revoked(license_realm, license, key_fingerprint) AS r) THEN
        RETURN 'revoked';
    END IF;
    PERFORM set_config('synchronous_commit', 'on', true);
    PERFORM set_config('lock_timeout', '1s', true);
    PERFORM 1 FROM licenses
    WHERE realm = license_realm AND issuer = license_issuer AND product = license_product AND license_id = license
    FOR UPDATE;
    RETURN CASE WHEN FOUND THEN NULL ELSE 'unregistered' END;
END
$$;
COMMENT ON FUNCTION lock_license_to_bind(text, text, text, text, text) IS
    'Rule 3 and the license''s row lock before a bind or unbind: NULL once locked, else revoked or unregistered.';
REVOKE ALL ON FUNCTION lock_license_to_bind(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lock_license_to_bind(text, text, text, text, text) TO license_pool;

CREATE FUNCTION bind_computer(
    license_realm text, license_issuer text, license_product text, license text, key_fingerprint text,
    computer bytea, bind_limit bigint, OUT outcome text, OUT bound bigint
) LANGUAGE plpgsql
AS $$
BEGIN
    outcome := lock_license_to_bind(license_realm, license_issuer, license_product, license, key_fingerprint);
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT count(*) INTO bound FROM bindings
    WHERE realm = license_realm AND issuer = license_issuer AND product = license_product AND license_id = license;
    IF EXISTS (SELECT FROM bindings
               WHERE realm = license_realm AND issuer = license_issuer AND product = license_product
                 AND license_id = license AND computer_hash = computer) THEN
        outcome := 'bound';
    ELSIF bound >= bind_limit THEN
        outcome := 'binding';
    ELSE
        INSERT INTO bindings (realm, issuer, product, license_id, computer_hash)
        VALUES (license_realm, license_issuer, license_product, license, computer);
        bound := bound + 1;
        outcome := 'bound';
    END IF;
END
$$;
COMMENT ON FUNCTION bind_computer IS
    'POST /bind: binds the computer (its keyed hash) to the license unless bind_limit computers are bound (binding) or the license is revoked; a computer already bound is bound. With the count bound after.';
REVOKE ALL ON FUNCTION bind_computer FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bind_computer TO license_pool;

-- Only an unbinding that ends a binding counts against unbind_limit over 30 days.
CREATE FUNCTION unbind_computer(
    license_realm text, license_issuer text, license_product text, license text, key_fingerprint text,
    computer bytea, unbind_limit bigint, OUT outcome text, OUT bound bigint
) LANGUAGE plpgsql
AS $$
BEGIN
    outcome := lock_license_to_bind(license_realm, license_issuer, license_product, license, key_fingerprint);
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    outcome := 'unbound';
    IF EXISTS (SELECT FROM bindings
               WHERE realm = license_realm AND issuer = license_issuer AND product = license_product
                 AND license_id = license AND computer_hash = computer) THEN
        IF (SELECT count(*) FROM unbindings
            WHERE realm = license_realm AND issuer = license_issuer AND product = license_product AND license_id = license
              AND unbound_at > now() - interval '30 days') >= unbind_limit THEN
            outcome := 'unbind-limit';
        ELSE
            DELETE FROM bindings
            WHERE realm = license_realm AND issuer = license_issuer AND product = license_product
              AND license_id = license AND computer_hash = computer;
            INSERT INTO unbindings (realm, issuer, product, license_id)
            VALUES (license_realm, license_issuer, license_product, license);
        END IF;
    END IF;
    SELECT count(*) INTO bound FROM bindings
    WHERE realm = license_realm AND issuer = license_issuer AND product = license_product AND license_id = license;
END
$$;
COMMENT ON FUNCTION unbind_computer IS
    'POST /unbind: ends the computer''s binding unless unbind_limit unbindings of the license happened in the last 30 days (unbind-limit); a computer not bound is unbound and not counted. With the count bound after.';
REVOKE ALL ON FUNCTION unbind_computer FROM PUBLIC;
GRANT EXECUTE ON FUNCTION unbind_computer TO license_pool;

-- Rule 7 for a check that another rule refuses anyway (rule 8): whether it is system-id instead.
CREATE FUNCTION computer_bound(license_realm text, license_issuer text, license_product text, license text, computer bytea)
RETURNS TABLE (bound boolean) LANGUAGE sql STABLE ROWS 1
AS $$
    SELECT EXISTS (SELECT FROM bindings
                   WHERE realm = license_realm AND issuer = license_issuer AND product = license_product
                     AND license_id = license AND computer_hash = computer);
$$;
COMMENT ON FUNCTION computer_bound(text, text, text, text, bytea) IS 'Whether the computer (its keyed hash) is bound to the license.';
REVOKE ALL ON FUNCTION computer_bound(text, text, text, text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION computer_bound(text, text, text, text, bytea) TO license_pool;

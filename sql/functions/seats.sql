-- Seats (SPEC §4 rules 3, 9 and 10; §3 /release): the only SQL that refreshes, admits, counts and
-- ends a seat. A seat is (license, scope, user, instance, computer); it counts for users and
-- hosts while checked within the seat lease, for rights within the instance lease (leases.sql).

-- Rule 3: the license's id, or this one key's fingerprint, is revoked in the realm (or in every
-- realm). Each EXISTS finds its row through its own unique index. A set-returning SQL function
-- (one row), so that PostgreSQL inlines it into the query that reads it, whose plan PL/pgSQL and
-- prepared statements keep: PostgreSQL 15 plans a SQL function's body again at every call it
-- does not inline, which cost a check more than its refresh (docs/performance.md).
CREATE FUNCTION license_revoked(license_realm text, license text, key_fingerprint text) RETURNS TABLE (revoked boolean)
LANGUAGE sql STABLE ROWS 1
AS $$
    SELECT EXISTS (SELECT FROM revocations WHERE license_id = license AND (realm IS NULL OR realm = license_realm))
        OR EXISTS (SELECT FROM revocations WHERE fingerprint = key_fingerprint AND (realm IS NULL OR realm = license_realm));
$$;
COMMENT ON FUNCTION license_revoked(text, text, text) IS 'Whether the license (its id) or the key (its fingerprint) is revoked in the realm or in every realm.';
REVOKE ALL ON FUNCTION license_revoked(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION license_revoked(text, text, text) TO license_pool;

-- A limit's room with its scope's overdraft (SPEC §15); NULL, which no count exceeds, for a room
-- that would not fit a bigint with one more (a key may say users=9223372036854775807).
CREATE FUNCTION room_of(limit_value bigint, allowance bigint) RETURNS bigint LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN limit_value > 9223372036854775806 - allowance THEN NULL ELSE limit_value + allowance END $$;
COMMENT ON FUNCTION room_of(bigint, bigint) IS 'A limit raised by the overdraft; NULL (no limit) when that and one more would not fit a bigint.';

-- A check's whole seat work, in one call: revocation, then the refresh of the seat when it is
-- active in every scope asked for, else its admission under the license's row lock. Scopes come
-- as parallel arrays (name and limits; NULL: no limit), so that a limit of another kind is
-- another array, not another function.
--
-- seat_rights:    what this start debits (the code's rights= line, SPEC §2); rights in use are
--                 the sum of the active instances' debits. A seat asking for another debit than
--                 it holds goes through admission with it; refused, it keeps the old one.
-- borrow_seconds: the code's borrow= line (SPEC §14), NULL without one: the seat counts until
--                 then in every scope, past both leases; a later borrow extends it, a check
--                 without one never shortens it
-- overdrafts:     per scope, its overdraft= (SPEC §15): admission may go that many past each of
--                 its limits; a seat admitted past one is marked (seats.overdraft)
-- linger_seconds: per scope, its linger= (SPEC §15): a lapsed or released right keeps counting
--                 that long, and the same user and instance take it back without admission
-- must_be_bound:  rule 7 for a key its holder binds (bind=, SPEC §13), when the code's computer
--                 is not among the key's systemid fields: it passes only if the computer is bound
--                 to the license (bindings.sql); checked here, so that it costs no round trip
--
-- outcome:        refreshed, admitted, revoked, system-id (must_be_bound, and it is not),
--                 unregistered (no licenses row to lock: register the license, then call again),
--                 or the refusal: users, hosts, rights
-- refused_scope:  for a refusal, the first scope without room
-- active_until:   for refreshed and admitted, when the seat stops counting unless checked again:
--                 the instance lease where a scope counts rights, else the seat lease, as this
--                 database counts them (whatever a pool's own --lease says), or the borrow's
--                 end when later; what a signed answer's `until` says (SPEC §7)
-- lease_seconds:  that lease in seconds (a third of it is the heartbeat, SPEC §8)
-- overdraft_scopes: for refreshed and admitted, the scopes in which the seat is past a limit
CREATE FUNCTION take_seat(
    seat_realm text, seat_issuer text, seat_product text, seat_license text, key_fingerprint text,
    scopes text[], users_limits bigint[], hosts_limits bigint[], rights_limits bigint[],
    seat_user bytea, seat_instance bytea, seat_computer bytea, seat_rights bigint, must_be_bound boolean, borrow_seconds bigint,
    overdrafts bigint[], linger_seconds bigint[],
    OUT outcome text, OUT refused_scope text, OUT active_until timestamptz, OUT lease_seconds bigint, OUT overdraft_scopes text[]
) LANGUAGE plpgsql
AS $$
DECLARE
    active_after timestamptz;
    instance_after timestamptz;
    -- A simple expression, which PL/pgSQL evaluates without a query.
    counts_rights boolean := cardinality(array_remove(rights_limits, NULL)) > 0;
    holds_after timestamptz;
    revoked boolean;
    refreshed boolean := false;
    scope_name text;
    users_limit bigint;
    hosts_limit bigint;
    rights_limit bigint;
    active bigint;
    present boolean;
    borrow_until timestamptz := now() + make_interval(secs => borrow_seconds);
    seat_borrowed timestamptz;
    seat_overdraft boolean;
    allowance bigint;
    linger interval;
    past_limit boolean;
BEGIN
    -- Rule 3, and both moments a seat is active after (leases.sql), in one query: each function
    -- is inlined into it.
    SELECT r.revoked, a.seat_after, a.instance_after INTO revoked, active_after, instance_after
    FROM license_revoked(seat_realm, seat_license, key_fingerprint) AS r, active_since(now()) AS a;
    IF revoked THEN
        outcome := 'revoked';
        RETURN;
    END IF;
    IF must_be_bound AND NOT EXISTS (SELECT FROM bindings b
                                     WHERE b.realm = seat_realm AND b.license_id = seat_license AND b.issuer = seat_issuer
                                       AND b.product = seat_product AND b.computer_hash = seat_computer) THEN
        outcome := 'system-id';
        RETURN;
    END IF;
    holds_after := CASE WHEN counts_rights THEN instance_after ELSE active_after END;
    lease_seconds := extract(epoch FROM now() - holds_after)::bigint;

    -- The common case: the seat is active in every scope, and is refreshed (one statement per
    -- scope, each by equality on the primary key: a generic plan that reads one row). Its commit
    -- may be asynchronous (the pool's default): losing it in a crash only shortens a lease. A seat
    -- from another computer is not matched, so it goes through admission (SPEC §4); nor is one
    -- whose right lapsed with the instance lease, which must be admitted again (SPEC §8).
    --
    -- In a scope without a rights limit the instance counts as its user's (SPEC §4): the seat's
    -- instance is the user, so that a client sending a new instance ID with every start grows no
    -- row; the license's rows stay bounded by its users and computers. Where rights are limited, a
    -- seat is refreshed only with the debit it was admitted with.
    -- A borrowed seat is active until its borrow ends; the answer's until is the earliest over
    -- the scopes of the later of the lease and the borrow. A right that lapsed or was released
    -- within its scope's linger is taken back here, without admission (SPEC §15).
    overdraft_scopes := '{}';
    FOR scope_number IN 1 .. cardinality(scopes) LOOP
        UPDATE seats SET last_seen = now(), rights = seat_rights, borrowed_until = greatest(borrowed_until, borrow_until),
                         released_at = NULL
        WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product AND license_id = seat_license
          AND scope = scopes[scope_number] AND user_hash = seat_user
          AND instance_hash = CASE WHEN rights_limits[scope_number] IS NULL THEN seat_user ELSE seat_instance END
          AND computer_hash = seat_computer
          AND CASE WHEN rights_limits[scope_number] IS NULL THEN seat_counts(last_seen, borrowed_until, released_at, holds_after, now())
                   ELSE right_counts(last_seen, borrowed_until, released_at, instance_after,
                                     make_interval(secs => linger_seconds[scope_number]), now()) END
          AND (rights_limits[scope_number] IS NULL OR rights = seat_rights)
        RETURNING borrowed_until, overdraft INTO seat_borrowed, seat_overdraft;
        refreshed := FOUND;
        EXIT WHEN NOT refreshed;
        active_until := least(active_until, greatest(now() + (now() - holds_after), seat_borrowed));
        IF seat_overdraft THEN overdraft_scopes := overdraft_scopes || scopes[scope_number]; END IF;
    END LOOP;
    IF refreshed THEN
        outcome := 'refreshed';
        RETURN;
    END IF;
    active_until := NULL;
    overdraft_scopes := '{}';

    -- Admission. Durable before the answer says valid, whatever the connection's default.
    PERFORM set_config('synchronous_commit', 'on', true);
    -- The per-license lock: concurrent admissions to one license queue here, others do not. A
    -- flood of one license's admissions waits a second at most (then 503, for that license
    -- only), not the session's 2 s; a queue of the pool's workers, each holding the lock for a
    -- synchronous commit of a few milliseconds, stays well within it.
    PERFORM set_config('lock_timeout', '1s', true);
    PERFORM 1 FROM licenses
    WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product AND license_id = seat_license
    FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'unregistered';
        active_until := NULL;
        lease_seconds := NULL;
        RETURN;
    END IF;
    -- Rule 9: with the new seat, each scope's active users, hosts and rights stay within its
    -- limits raised by its overdraft; the first scope without room, and in it the first of users,
    -- hosts, rights, gives the reason; a scope whose room is its overdraft is marked. Only the
    -- limits a key sets are counted, and at most one past the room (LIMIT NULL: all, for a room
    -- past 2^63-2, room_of), so an admission costs no more than its limits,
    -- whatever the lapsed seats. The new seat adds a user, computer or instance only when none
    -- is active yet.
    FOR scope_number IN 1 .. cardinality(scopes) LOOP
        scope_name := scopes[scope_number];
        users_limit := users_limits[scope_number];
        hosts_limit := hosts_limits[scope_number];
        rights_limit := rights_limits[scope_number];
        allowance := coalesce(overdrafts[scope_number], 0);
        linger := make_interval(secs => linger_seconds[scope_number]);
        past_limit := false;
        IF users_limit IS NOT NULL THEN
            SELECT count(*) INTO active FROM (
                SELECT DISTINCT user_hash FROM seats
                WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product AND license_id = seat_license
                  AND scope = scope_name AND seat_counts(last_seen, borrowed_until, released_at, active_after, now())
                LIMIT room_of(users_limit, allowance) + 1) AS users;
            present := EXISTS (SELECT FROM seats
                               WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product
                                 AND license_id = seat_license AND scope = scope_name
                                 AND user_hash = seat_user AND seat_counts(last_seen, borrowed_until, released_at, active_after, now()));
            IF active + (NOT present)::int > room_of(users_limit, allowance) THEN
                outcome := 'users';
            END IF;
            past_limit := active + (NOT present)::int > users_limit;
        END IF;
        IF outcome IS NULL AND hosts_limit IS NOT NULL THEN
            SELECT count(*) INTO active FROM (
                SELECT DISTINCT computer_hash FROM seats
                WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product AND license_id = seat_license
                  AND scope = scope_name AND seat_counts(last_seen, borrowed_until, released_at, active_after, now())
                LIMIT room_of(hosts_limit, allowance) + 1) AS hosts;
            present := EXISTS (SELECT FROM seats
                               WHERE realm = seat_realm AND issuer = seat_issuer AND product = seat_product
                                 AND license_id = seat_license AND scope = scope_name
                                 AND computer_hash = seat_computer AND seat_counts(last_seen, borrowed_until, released_at, active_after, now()));
            IF active + (NOT present)::int > room_of(hosts_limit, allowance) THEN
                outcome := 'hosts';
            END IF;
            past_limit := past_limit OR active + (NOT present)::int > hosts_limit;
        END IF;
        IF outcome IS NULL AND rights_limit IS NOT NULL THEN
            -- Bounded rows (SPEC §4): an instance's seat that no longer holds a right is gone once
            -- its user and computer hold a newer seat in the scope, which keeps them counted for
            -- users, hosts and the month's history; so the rows of a scope stay within its
            -- running instances and its users' computers, whatever the programs started.
            DELETE FROM seats o
            WHERE o.realm = seat_realm AND o.issuer = seat_issuer AND o.product = seat_product
              AND o.license_id = seat_license AND o.scope = scope_name
              AND NOT right_counts(o.last_seen, o.borrowed_until, o.released_at, instance_after, linger, now())
              AND o.instance_hash <> o.user_hash
              AND EXISTS (SELECT FROM seats n
                          WHERE n.realm = o.realm AND n.issuer = o.issuer AND n.product = o.product
                            AND n.license_id = o.license_id AND n.scope = o.scope AND n.user_hash = o.user_hash
                            AND n.computer_hash = o.computer_hash AND n.last_seen > o.last_seen);
            -- The other running instances' debits, then this one's (its old debit, if it holds
            -- one, is replaced). Every debit is at least one, so limit + 1 rows are enough to
            -- know the sum is past the limit.
            SELECT coalesce(sum(debits.rights), 0) INTO active FROM (
                SELECT s.rights FROM seats s
                WHERE s.realm = seat_realm AND s.issuer = seat_issuer AND s.product = seat_product AND s.license_id = seat_license
                  AND s.scope = scope_name AND right_counts(s.last_seen, s.borrowed_until, s.released_at, instance_after, linger, now())
                  AND NOT (s.user_hash = seat_user AND s.instance_hash = seat_instance AND s.computer_hash = seat_computer)
                LIMIT room_of(rights_limit, allowance) + 1) AS debits;
            IF active + seat_rights > room_of(rights_limit, allowance) THEN
                outcome := 'rights';
            END IF;
            past_limit := past_limit OR active + seat_rights > rights_limit;
        END IF;
        IF outcome IS NOT NULL THEN
            refused_scope := scope_name;
            active_until := NULL;
            lease_seconds := NULL;
            overdraft_scopes := NULL;
            RETURN;
        END IF;
        IF past_limit THEN overdraft_scopes := overdraft_scopes || scope_name; END IF;
    END LOOP;
    WITH taken AS (
        INSERT INTO seats AS t (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash, first_seen,
                                last_seen, rights, borrowed_until, overdraft)
        SELECT seat_realm, seat_issuer, seat_product, seat_license, s.scope, seat_user,
               CASE WHEN s.rights_limit IS NULL THEN seat_user ELSE seat_instance END, seat_computer, now(), now(), seat_rights,
               borrow_until, s.scope = ANY (overdraft_scopes)
        FROM unnest(scopes, rights_limits) AS s(scope, rights_limit)
        ON CONFLICT (realm, issuer, product, license_id, scope, user_hash, instance_hash, computer_hash) DO UPDATE SET
            first_seen = CASE WHEN seat_counts(t.last_seen, t.borrowed_until, t.released_at, active_after, now()) THEN t.first_seen ELSE now() END,
            last_seen = now(), rights = EXCLUDED.rights, released_at = NULL, overdraft = EXCLUDED.overdraft,
            borrowed_until = CASE WHEN t.borrowed_until > now() THEN greatest(t.borrowed_until, EXCLUDED.borrowed_until)
                                  ELSE EXCLUDED.borrowed_until END
        RETURNING t.borrowed_until
    )
    SELECT greatest(now() + (now() - holds_after), min(coalesce(taken.borrowed_until, now()))) INTO active_until FROM taken;
    outcome := 'admitted';
END
$$;
COMMENT ON FUNCTION take_seat IS
    'A check''s seat: revoked, system-id (must_be_bound and the computer is not bound), or refreshed when active in every scope, else admitted under the license''s row lock when each scope has room (limits NULL: none), else the reason (users, hosts, rights) and the scope; unregistered when the license has no row. With the moment the seat stops counting (active_until) and its lease.';
REVOKE ALL ON FUNCTION take_seat FROM PUBLIC;
GRANT EXECUTE ON FUNCTION take_seat TO license_pool;

-- Active seats per scope, for the JSON answer (SPEC §3 in_use): rights are the sum of the running
-- instances' debits, lingering ones included (the scope's linger, as the latest key registered
-- it). Each count reads at most count_limit + 1 rows, so that an answer costs the same whatever
-- the number of seats.
CREATE FUNCTION scope_usage(seat_realm text, seat_issuer text, seat_product text, seat_license text, scopes text[],
                            count_limit bigint)
RETURNS TABLE (scope text, rights bigint, users bigint, hosts bigint) LANGUAGE sql STABLE
AS $$
    SELECT s.scope,
           (SELECT coalesce(sum(c.rights), 0)::bigint FROM (SELECT t.rights FROM seats t
                                  WHERE t.realm = seat_realm AND t.issuer = seat_issuer AND t.product = seat_product
                                    AND t.license_id = seat_license AND t.scope = s.scope
                                    AND right_counts(t.last_seen, t.borrowed_until, t.released_at, a.instance_after, l.linger, now())
                                  LIMIT count_limit + 1) AS c),
           (SELECT count(*) FROM (SELECT DISTINCT t.user_hash FROM seats t
                                  WHERE t.realm = seat_realm AND t.issuer = seat_issuer AND t.product = seat_product
                                    AND t.license_id = seat_license AND t.scope = s.scope
                                    AND seat_counts(t.last_seen, t.borrowed_until, t.released_at, a.after, now())
                                  LIMIT count_limit + 1) AS c),
           (SELECT count(*) FROM (SELECT DISTINCT t.computer_hash FROM seats t
                                  WHERE t.realm = seat_realm AND t.issuer = seat_issuer AND t.product = seat_product
                                    AND t.license_id = seat_license AND t.scope = s.scope
                                    AND seat_counts(t.last_seen, t.borrowed_until, t.released_at, a.after, now())
                                  LIMIT count_limit + 1) AS c)
    FROM unnest(scopes) AS s(scope)
    CROSS JOIN (SELECT seat_after AS after, instance_after FROM active_since(now())) AS a
    LEFT JOIN license_scopes l ON l.realm = seat_realm AND l.issuer = seat_issuer AND l.product = seat_product
                              AND l.license_id = seat_license AND l.scope = s.scope;
$$;
COMMENT ON FUNCTION scope_usage(text, text, text, text, text[], bigint) IS 'Active rights (the running and lingering instances'' debits), users and computers per scope of a license, each count at most count_limit + 1.';
REVOKE ALL ON FUNCTION scope_usage(text, text, text, text, text[], bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION scope_usage(text, text, text, text, text[], bigint) TO license_pool;

-- /release (SPEC §3): the user's instance leaves every scope of the license at once; a borrowed
-- seat is returned early (SPEC §14). In a scope without a rights limit the instance is its
-- user's (take_seat), so the user's seat there ends. In a scope with rights and linger= (SPEC
-- §15) the seat is kept, released: its right counts for the linger, and the same user and
-- instance take it back without admission (take_seat); it counts for nothing else.
CREATE FUNCTION release_seat(seat_realm text, seat_issuer text, seat_product text, seat_license text,
                             seat_user bytea, seat_instance bytea) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE seats s SET released_at = now(), borrowed_until = NULL
    WHERE s.realm = seat_realm AND s.issuer = seat_issuer AND s.product = seat_product
      AND s.license_id = seat_license AND s.user_hash = seat_user AND s.instance_hash = seat_instance AND s.released_at IS NULL
      AND EXISTS (SELECT FROM license_scopes l
                  WHERE l.realm = s.realm AND l.issuer = s.issuer AND l.product = s.product AND l.license_id = s.license_id
                    AND l.scope = s.scope AND l.rights IS NOT NULL AND l.linger IS NOT NULL);
    DELETE FROM seats s WHERE s.realm = seat_realm AND s.issuer = seat_issuer AND s.product = seat_product
      AND s.license_id = seat_license AND s.user_hash = seat_user AND s.released_at IS NULL
      AND (s.instance_hash = seat_instance
           OR (s.instance_hash = seat_user
               AND NOT EXISTS (SELECT FROM license_scopes l
                               WHERE l.realm = s.realm AND l.issuer = s.issuer AND l.product = s.product
                                 AND l.license_id = s.license_id AND l.scope = s.scope AND l.rights IS NOT NULL)));
END
$$;
COMMENT ON FUNCTION release_seat(text, text, text, text, bytea, bytea) IS 'Ends a user''s instance in every scope of the license (/release); where a scope lingers, its right counts for the linger.';
REVOKE ALL ON FUNCTION release_seat(text, text, text, text, bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION release_seat(text, text, text, text, bytea, bytea) TO license_pool;

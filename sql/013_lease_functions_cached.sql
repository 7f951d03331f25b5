-- seat_active_since and instance_active_since (009) in PL/pgSQL instead of SQL: PostgreSQL
-- cannot inline a SQL function that reads a table, so each call parsed and planned its body
-- again (in every admission, twice); PL/pgSQL keeps the plan of its statement for the session.
-- Same arguments, same answers; the owner, the comments and every caller stay as they are.
CREATE OR REPLACE FUNCTION seat_active_since(at timestamptz) RETURNS timestamptz LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN (SELECT at - seat_lease FROM leases); END $$;
CREATE OR REPLACE FUNCTION instance_active_since(at timestamptz) RETURNS timestamptz LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN (SELECT at - instance_lease FROM leases); END $$;

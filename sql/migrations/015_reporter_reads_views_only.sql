-- SPEC §12: the console's role reads the report views and nothing else. It read the leases
-- table, which the report views' lease functions read as their caller; those functions now
-- read it as its owner (sql/functions/leases.sql), and report_leases shows it to DBAs.
REVOKE SELECT ON leases FROM license_reporter;

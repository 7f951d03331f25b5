-- make bench: what the pool's database sessions are doing during a run, sampled every 20 ms
-- (:samples times) into bench_waits: the state and wait event of each client backend of the
-- license database but this one. 'idle' with ClientRead is a session waiting for the pool (the
-- pool's own time, or no work); 'active' without a wait event is PostgreSQL on the CPU.
CREATE UNLOGGED TABLE IF NOT EXISTS bench_waits (run text, state text, wait text);
-- psql does not expand its variables inside the DO block's dollar quotes: settings carry them.
SELECT set_config('bench.samples', :'samples', false), set_config('bench.run', :'run', false);
DO $$
BEGIN
    FOR sample IN 1 .. current_setting('bench.samples')::integer LOOP
        INSERT INTO bench_waits
        SELECT current_setting('bench.run'), coalesce(state, '?'), coalesce(wait_event_type || ':' || wait_event, 'CPU')
        FROM pg_stat_activity
        WHERE datname = 'license' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
          AND application_name NOT IN ('psql', 'pgbench');
        -- pg_stat_activity is read once per transaction unless the snapshot is cleared.
        PERFORM pg_stat_clear_snapshot();
        PERFORM pg_sleep(0.02);
    END LOOP;
END
$$;

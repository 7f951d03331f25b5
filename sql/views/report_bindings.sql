-- report_bindings: a report view (sql/reports/README.md), owned by license_owner and readable by
-- license_reporter, the role of DBAs' reports and the console.

CREATE VIEW report_bindings AS
SELECT l.realm, l.issuer, l.product, l.license_id, l.licensee, l.bind_limit,
       coalesce(b.bound, 0) AS bound, b.last_bound_at,
       coalesce(u.unbound, 0) AS unbound_30_days
FROM licenses l
LEFT JOIN LATERAL (
    SELECT count(*) AS bound, max(bound_at) AS last_bound_at FROM bindings t
    WHERE t.realm = l.realm AND t.issuer = l.issuer AND t.product = l.product AND t.license_id = l.license_id
) b ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS unbound FROM unbindings t
    WHERE t.realm = l.realm AND t.issuer = l.issuer AND t.product = l.product AND t.license_id = l.license_id
      AND t.unbound_at > now() - interval '30 days'
) u ON true
WHERE l.bind_limit IS NOT NULL OR b.bound > 0;
COMMENT ON VIEW report_bindings IS 'Licenses their holders bind to computers (bind=N, SPEC §13): how many of N are bound, and the unbindings of the last 30 days.';
COMMENT ON COLUMN report_bindings.issuer IS 'The issuer that signed the license''s keys; with realm, product and license_id it names the license.';
COMMENT ON COLUMN report_bindings.bind_limit IS 'bind= of the latest key seen: how many computers the holder may bind; NULL: the latest key has none (its bindings stay).';
COMMENT ON COLUMN report_bindings.bound IS 'Computers bound now.';
COMMENT ON COLUMN report_bindings.last_bound_at IS 'When the latest of them was bound.';
COMMENT ON COLUMN report_bindings.unbound_30_days IS 'Unbindings in the last 30 days (license-server --unbind-limit allows that many).';
GRANT SELECT ON report_bindings TO license_reporter;

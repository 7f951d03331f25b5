import Foundation
import TestSupport
import Testing

/// SPEC §9's operator's kit in packaging/monitoring/, as the package installs it: promtool
/// accepts the alert rules and passes their unit tests (each alert fires on a synthetic series and
/// stays silent on a healthy one), and every expression of the Grafana dashboard is PromQL that
/// promtool parses, over every metric of the table.
@Suite("The monitoring kit: alert rules and dashboard checked by promtool")
struct MonitoringKitTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/packaging/monitoring"

    @Test("promtool check rules accepts the alert rules; promtool test rules passes their tests")
    func alertRules() throws {
        let checked = try Command.run("/usr/bin/promtool", ["check", "rules", Self.folder + "/license-server-alerts.yml"])
        #expect(checked.status == 0 && checked.standardOutput.contains("SUCCESS: 7 rules found"), "\(checked.standardOutput) \(checked.standardError)")
        // promtool finds rule_files beside the test file.
        let tested = try Command.run("/usr/bin/promtool", ["test", "rules", Self.folder + "/license-server-alerts.test.yml"])
        #expect(tested.status == 0 && tested.standardOutput.contains("SUCCESS"), "\(tested.standardOutput) \(tested.standardError)")
        // Each alert has a firing case and a silent case in the tests.
        let tests = try String(contentsOfFile: Self.folder + "/license-server-alerts.test.yml", encoding: .utf8)
        let rules = try String(contentsOfFile: Self.folder + "/license-server-alerts.yml", encoding: .utf8)
        let alerts = rules.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("- alert: ") ? String(trimmed.dropFirst("- alert: ".count)) : nil
        }
        #expect(alerts.count == 7)
        for alert in alerts {
            #expect(tests.components(separatedBy: "alertname: \(alert)\n        exp_alerts: []").count == 2, "\(alert) has no silent case")
            #expect(tests.components(separatedBy: "alertname: \(alert)\n        exp_alerts:\n").count == 2, "\(alert) has no firing case")
        }
    }

    @Test("every expression of the Grafana dashboard parses in promtool (as a recording rule), and the panels cover SPEC §9's metrics")
    func dashboard() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/license-server-dashboard.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count >= panels.count)
        // promtool parses PromQL in rule files: each expression becomes a recording rule.
        var rules = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, expression) in expressions.enumerated() {
            let quoted = expression.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            rules += "      - record: dashboard:panel_\(index)\n        expr: \"\(quoted)\"\n"
        }
        let directory = try TemporaryDirectory()
        try rules.write(toFile: directory.file("dashboard-rules.yml"), atomically: true, encoding: .utf8)
        let checked = try Command.run("/usr/bin/promtool", ["check", "rules", directory.file("dashboard-rules.yml")])
        #expect(checked.status == 0 && checked.standardOutput.contains("SUCCESS: \(expressions.count) rules found"),
                "\(checked.standardOutput) \(checked.standardError)")
        for metric in ["license_checks_total", "license_request_duration_seconds_bucket", "license_database_errors_total",
                       "license_database_up", "license_workers", "license_key_cache_entries", "license_build_info",
                       "license_overdraft_admissions_total"] {
            #expect(expressions.contains { $0.contains(metric + "{") || $0.contains(metric + ")") || $0.contains(metric + "[") },
                    "no panel shows \(metric)")
        }
        // A datasource chosen at import, not a uid of the author's.
        #expect(panels.allSatisfy { ($0["datasource"] as? [String: Any])?["uid"] as? String == "${DS_PROMETHEUS}" })
    }
}

import Foundation
import TestSupport
import Testing

/// The files of nginx/ as a hosting admin adopts them: dropped into Debian's own nginx
/// configuration, unchanged but for where this test keeps them.
@Suite("nginx/ adopted into Debian's nginx configuration")
struct NginxConfigurationTests {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("Debian's nginx.conf with license-server.conf, two domains and the console passes nginx -t")
    func adoptedAsIs() throws {
        let folder = try TemporaryDirectory()
        let etc = folder.file("etc-nginx")
        // A copy of /etc/nginx whose includes point into the copy.
        #expect(try Command.run("cp", ["-a", "/etc/nginx", etc]).status == 0)
        let main = try String(contentsOfFile: etc + "/nginx.conf", encoding: .utf8)
        try main.replacingOccurrences(of: "/etc/nginx/", with: etc + "/")
            .write(toFile: etc + "/nginx.conf", atomically: true, encoding: .utf8)
        // Adopting the files removes Debian's placeholder site, which claims the port-80 default server.
        try? FileManager.default.removeItem(atPath: etc + "/sites-enabled/default")
        // The adopted files, at the places the comments in them name.
        func adopt(_ name: String, to path: String, domain: String? = nil) throws {
            var text = try String(contentsOfFile: packageRoot + "/nginx/" + name, encoding: .utf8)
            text = text.replacingOccurrences(of: "/etc/nginx/", with: etc + "/")
                .replacingOccurrences(of: "/etc/license-server/tls/", with: folder.file("tls/"))
                .replacingOccurrences(of: "/etc/license-server/console.htpasswd", with: folder.file("console.htpasswd"))
            if let domain { text = text.replacingOccurrences(of: "licenses.example.com", with: domain) }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: etc + "/license-server", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder.file("tls"), withIntermediateDirectories: true)
        try adopt("license-server.conf", to: etc + "/conf.d/00-license-server.conf")
        // A domain whose file sorts before it still finds the log format.
        try adopt("licenses.example.com.conf", to: etc + "/conf.d/a.example.com.conf", domain: "a.example.com")
        try adopt("license-domain-common.conf", to: etc + "/license-server/license-domain-common.conf")
        try adopt("license_fastcgi_params", to: etc + "/license-server/license_fastcgi_params")
        try adopt("licenses.example.com.conf", to: etc + "/conf.d/licenses.example.com.conf")
        try adopt("licenses.example.com.conf", to: etc + "/conf.d/licenses.example.org.conf", domain: "licenses.example.org")
        try adopt("license-console.conf", to: etc + "/conf.d/console.conf")
        try "console:$apr1$x$y\n".write(toFile: folder.file("console.htpasswd"), atomically: true, encoding: .utf8)
        for name in ["default", "licenses.example.com", "licenses.example.org", "a.example.com", "console.example.com"] {
            let made = try Command.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                                   "-nodes", "-days", "1", "-subj", "/CN=\(name)",
                                                   "-keyout", folder.file("tls/\(name).key"), "-out", folder.file("tls/\(name).pem")])
            try #require(made.status == 0, "\(made.standardError)")
        }
        let test = try Command.run("nginx", ["-t", "-c", etc + "/nginx.conf"])
        #expect(test.status == 0, "\(test.standardError)")
        #expect(test.standardError.contains("test is successful"))
        #expect(!test.standardError.contains("[warn]"), "\(test.standardError)")
    }

    @Test("what the admin adopts: redirect, TLS 1.2/1.3 and HTTP/2, a realm per domain, limits, no proxy header")
    func requiredSettings() throws {
        func file(_ name: String) throws -> String { try String(contentsOfFile: packageRoot + "/nginx/" + name, encoding: .utf8) }
        let domain = try file("licenses.example.com.conf")
        #expect(domain.contains("return 301 https://$server_name$request_uri;"))
        #expect(!domain.contains("$host"))
        #expect(domain.contains("listen 443 ssl http2;"))
        #expect(domain.contains("set $license_realm default;"))
        let common = try file("license-domain-common.conf")
        #expect(common.contains("ssl_protocols TLSv1.2 TLSv1.3;"))
        #expect(common.contains("client_max_body_size 16k;"))
        #expect(common.contains("limit_req zone=license_checks"))
        #expect(common.contains("limit_req zone=license_health"))
        #expect(common.contains("location = /bind {") && common.contains("location = /unbind {"))
        #expect(common.components(separatedBy: "limit_req zone=license_bindings").count == 3)
        #expect(common.contains("access_log /var/log/nginx/license-access.log license_no_codes;"))
        #expect(common.contains("error_log /var/log/nginx/license-error.log emerg;"))
        let ciphers = try #require(common.split(separator: "\n").first { $0.hasPrefix("ssl_ciphers ") })
        #expect(!ciphers.contains("CBC") && !ciphers.contains("SHA:") && !ciphers.hasSuffix("SHA;") && ciphers.contains("GCM"))
        let parameters = try file("license_fastcgi_params")
        #expect(parameters.contains("fastcgi_param LICENSE_REALM   $license_realm;"))
        #expect(parameters.contains("fastcgi_param HTTP_PROXY      \"\";"))
        let shared = try file("license-server.conf")
        #expect(shared.contains("default_server"))
        #expect(shared.contains("return 421"))
        #expect(shared.contains("listen 80 default_server;") && shared.contains("return 444;"))
        #expect(shared.contains("listen 127.0.0.1:9464;") && shared.contains("fastcgi_param LICENSE_METRICS 1;"))
        #expect(shared.contains("allow 127.0.0.1;") && shared.contains("deny all;"))
        #expect(!common.contains("LICENSE_METRICS") && !parameters.contains("LICENSE_METRICS"))
        #expect(shared.contains("log_format license_no_codes") && !shared.contains("$request ") && !shared.contains("$args"))
    }
}

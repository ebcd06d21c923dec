import EngineClient
import Foundation
import Testing

/// `jestry serve --config FILE` and `jestry config check FILE` on the real executable.
@Suite struct ConfigFileEndToEndTests {
    static func file(_ yaml: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-config-\(UUID().uuidString).yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func checkAcceptsAGoodFile() throws {
        let good = try Self.file("""
            # a node of the fleet
            port: 9000
            host: 127.0.0.1
            trial_minutes: 2.5
            allowed_origins: [https://app.example.com, https://www.example.com]
            login_limit_per_address: {burst: 30, per_seconds: 60}
            signup_limit_per_email: "5/3600"
            drain_seconds: 120
            event_batch_us: 2000
            log_format: json
            database: postgres://jestry@db.internal:5432/jestry
            node_id: node-a.eu-1
            """)
        defer { try? FileManager.default.removeItem(at: good) }
        let result = try CommandLineEndToEndTests.run(["config", "check", good.path])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.hasPrefix("OK: \(good.path) sets 11 of "), "\(result.stdout)")
    }

    @Test func checkNamesEveryProblemWithItsPosition() throws {
        let bad = try Self.file("""
            prot: 9000
            port: "eighty"
            trial_minutes: -1
            messages_per_second: 0
            log_level: loud
            webhook_secret: hunter2
            signup_limit_per_address: {burst: 0, per_seconds: 60}
            allowed_origins: {a: b}
            database: postgres://jestry:hunter2@db/jestry
            node_id: "node a"
            event_batch_us: 200000
            """)
        defer { try? FileManager.default.removeItem(at: bad) }
        let result = try CommandLineEndToEndTests.run(["config", "check", bad.path])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines == [
            "\(bad.path):1:1: unknown setting \"prot\"; did you mean \"port\"? (`jestry config check --help` lists them)",
            "\(bad.path):2:7: port: must be a whole number",
            "\(bad.path):3:16: trial_minutes: must be from 0 to 1000000",
            "\(bad.path):4:22: messages_per_second: must be from 1 to 100000",
            "\(bad.path):5:12: log_level: must be one of trace, debug, info, notice, warning, error, critical",
            "\(bad.path):6:1: \"webhook_secret\" is a secret and is never read from a file: set JESTRY_WEBHOOK_SECRET in the environment",
            "\(bad.path):7:27: signup_limit_per_address: \(RateLimitExpectation.text)",
            "\(bad.path):8:18: allowed_origins: must be a list of strings",
            "\(bad.path):9:11: database: must be a postgres:// URL without a password (set PGPASSWORD or use ~/.pgpass)",
            "\(bad.path):10:10: node_id: must be 1 to 64 letters, digits, -, _ or .",
            "\(bad.path):11:17: event_batch_us: must be from 0 to 100000",
        ], "\(result.stdout)")

        let broken = try Self.file("port: 8080\nhost: [unclosed\n")
        defer { try? FileManager.default.removeItem(at: broken) }
        let yaml = try CommandLineEndToEndTests.run(["config", "check", broken.path])
        #expect(yaml.status == 1)
        #expect(yaml.stdout.hasPrefix("\(broken.path):3:1: YAML error:"), "\(yaml.stdout)")

        // serve refuses the same file, with the same words, before it listens.
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let serve = try CommandLineEndToEndTests.run(["serve", "--config", bad.path, "--data", data.path])
        #expect(serve.status == 1)
        #expect(serve.stderr.contains("\(bad.path):2:7: port: must be a whole number"))
    }

    /// trial_minutes set in the file, the environment and a flag: flag > environment > file > default. The file's
    /// rate limit applies too.
    @Test func aFlagBeatsTheEnvironmentWhichBeatsTheFile() throws {
        let config = try Self.file("trial_minutes: 1\nsignup_limit_per_address: {burst: 1, per_seconds: 3600}\n")
        defer { try? FileManager.default.removeItem(at: config) }
        let cases: [(environment: [String: String], arguments: [String], trialMs: Int)] = [
            ([:], [], 60_000),
            (["JESTRY_TRIAL_MINUTES": "2"], [], 120_000),
            (["JESTRY_TRIAL_MINUTES": "2"], ["--trial-minutes", "3"], 180_000),
        ]
        for (environment, arguments, trialMs) in cases {
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-config-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: data) }
            let (server, port) = try CommandLineEndToEndTests.startServer(
                data: data, environment: environment.merging(["JESTRY_CONFIG": config.path]) { $1 }, arguments: arguments)
            defer {
                server.terminate()
                server.waitUntilExit()
            }
            let http = HTTPClient(baseURL: URL(string: "http://127.0.0.1:\(port)/")!)
            let account: [String: Any] = ["name": "Ada", "email": "ada@example.com", "password": "a long test password",
                                          "birth_date": "1990-01-01"]
            #expect(try http.send("POST", "v1/accounts", body: account).status == 201)
            let token = try #require(try http.login(email: "ada@example.com", password: "a long test password"))
            #expect(try http.send("GET", "v1/me", token: token).json["balance_ms"] as? Int == trialMs, "\(environment) \(arguments)")
            var second = account
            second["email"] = "grace@example.com"
            let limited = try http.send("POST", "v1/accounts", body: second)
            #expect(limited.status == 429, "the file's signup limit: one an hour per address")
        }
    }
}

/// The rate-limit message `config check` prints, as users read it.
enum RateLimitExpectation {
    static let text = "must be a rate limit: {burst: 20, per_seconds: 60} or \"20/60\" (burst at least 1, 1 to 86400 seconds)"
}

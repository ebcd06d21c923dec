import Foundation
import Server
import Yams

/// `jestry serve --config FILE`: the settings of a node in one YAML file, each the twin of a `JESTRY_*` environment
/// variable (and of a flag). Precedence is flag > environment > file > default: the file's values stand behind the
/// environment (`Environment.value`), so every option that reads its variable reads the file too.
///
/// YAML, not TOML: the project already reads YAML with positions (Yams) for its prompts, and TOMLKit would compile
/// toml++ (C++) into every build. Every mistake is reported as `file:line:col: message`, all of them at once;
/// unknown keys are mistakes (a typo must not silently leave a default in force), and secrets are refused (they
/// belong in the environment or a secret file).
struct ConfigFile {
    /// What a setting holds, checked with its position before the value is used.
    enum Kind {
        case text
        case path
        case url
        /// `postgres://user@host:port/database`, without a password (that is a secret: PGPASSWORD or ~/.pgpass).
        case databaseURL
        /// A fleet node's name.
        case nodeID
        case whole(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        case oneOf([String])
        /// A YAML list, or one string of comma-separated items.
        case list
        /// `{burst: 20, per_seconds: 60}` or `"20/60"`.
        case rateLimit
    }

    struct Setting {
        var key: String
        var kind: Kind
        /// The environment variable it stands in for: `port` → `JESTRY_PORT`.
        var variable: String { "JESTRY_" + key.uppercased() }
    }

    static let settings: [Setting] = [
        Setting(key: "port", kind: .whole(0...65535)),
        Setting(key: "host", kind: .text),
        Setting(key: "data", kind: .path),
        Setting(key: "prompts", kind: .path),
        Setting(key: "static", kind: .path),
        Setting(key: "trial_minutes", kind: .number(0...1_000_000)),
        Setting(key: "log_level", kind: .oneOf(["trace", "debug", "info", "notice", "warning", "error", "critical"])),
        Setting(key: "log_format", kind: .oneOf(["text", "json"])),
        Setting(key: "tls_cert", kind: .path),
        Setting(key: "tls_key", kind: .path),
        Setting(key: "allowed_origins", kind: .list),
        Setting(key: "products", kind: .path),
        Setting(key: "billing_warning_seconds", kind: .number(0...3600)),
        Setting(key: "stt_url", kind: .url),
        Setting(key: "stt_model", kind: .text),
        Setting(key: "stt_max_in_flight", kind: .whole(1...1_000)),
        Setting(key: "stt_max_queued", kind: .whole(0...100_000)),
        Setting(key: "stt_timeout_seconds", kind: .number(1...3600)),
        Setting(key: "model_url", kind: .url),
        Setting(key: "model_name", kind: .text),
        Setting(key: "model_first_token_ms", kind: .whole(1...60_000)),
        Setting(key: "model_total_ms", kind: .whole(1...60_000)),
        Setting(key: "model_report_wait_ms", kind: .whole(0...60_000)),
        Setting(key: "model_max_in_flight", kind: .whole(1...1_000)),
        Setting(key: "model_max_queued", kind: .whole(0...100_000)),
        Setting(key: "max_connections_per_address", kind: .whole(0...1_000_000)),
        Setting(key: "max_connections_per_account", kind: .whole(0...1_000_000)),
        Setting(key: "max_live_sessions_per_account", kind: .whole(0...1_000_000)),
        Setting(key: "messages_per_second", kind: .whole(1...100_000)),
        Setting(key: "max_queued_output_kib", kind: .whole(16...1_048_576)),
        Setting(key: "max_request_head_kib", kind: .whole(4...1_024)),
        Setting(key: "request_body_deadline_seconds", kind: .number(1...3600)),
        Setting(key: "request_head_deadline_seconds", kind: .whole(1...3600)),
        Setting(key: "session_start_timeout_seconds", kind: .number(1...3600)),
        Setting(key: "login_limit_per_address", kind: .rateLimit),
        Setting(key: "login_failure_limit_per_account", kind: .rateLimit),
        Setting(key: "signup_limit_per_address", kind: .rateLimit),
        Setting(key: "signup_limit_per_email", kind: .rateLimit),
        Setting(key: "video_storage_mib", kind: .whole(0...1_073_741_824)),
        Setting(key: "drain_seconds", kind: .number(0...86_400)),
        Setting(key: "event_batch_us", kind: .whole(0...100_000)),
        Setting(key: "service_threads", kind: .whole(1...256)),
        Setting(key: "metrics_token_file", kind: .path),
        Setting(key: "database", kind: .databaseURL),
        Setting(key: "node_id", kind: .nodeID),
    ]

    /// Keys that name secrets: refused with where the secret goes instead.
    static let secrets: [String: String] = [
        "webhook_secret": "JESTRY_WEBHOOK_SECRET", "webhook_secrets": "JESTRY_WEBHOOK_SECRETS",
        "stt_key": "JESTRY_STT_KEY", "metrics_token": "JESTRY_METRICS_TOKEN (or metrics_token_file)",
        "model_key": "JESTRY_MODEL_KEY",
    ]

    /// A problem in the file, at its position.
    struct Problem: Error, CustomStringConvertible {
        var file: String
        var line: Int
        var column: Int
        var message: String
        var description: String { "\(file):\(line):\(column): \(message)" }
    }

    struct Problems: Error, CustomStringConvertible {
        var list: [Problem]
        var description: String { list.map(\.description).joined(separator: "\n") }
    }

    /// The file's values, in the form their environment variables take, keyed by variable.
    let values: [String: String]
    let path: String

    /// Reads and checks the file; every problem at once, or none.
    static func load(path: String) throws(Problems) -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problems(list: [Problem(file: path, line: 1, column: 1, message: "cannot read the file")])
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    static func parse(_ yaml: String, path: String) throws(Problems) -> ConfigFile {
        func problem(_ node: Node?, _ message: String) -> Problem {
            Problem(file: path, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, message: message)
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
                throw Problems(list: [Problem(file: path, line: mark.line, column: mark.column, message: "YAML error: \(what)")])
            default:
                throw Problems(list: [Problem(file: path, line: 1, column: 1, message: "YAML error: \(error)")])
            }
        } catch {
            throw Problems(list: [Problem(file: path, line: 1, column: 1, message: "YAML error: \(error)")])
        }
        guard let root else { return ConfigFile(values: [:], path: path) }  // an empty file sets nothing
        guard let mapping = root.mapping else {
            throw Problems(list: [problem(root, "the file must be a mapping of settings (key: value)")])
        }
        let known = Dictionary(uniqueKeysWithValues: settings.map { ($0.key, $0) })
        var values: [String: String] = [:]
        var problems: [Problem] = []
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else {
                problems.append(problem(keyNode, "a setting's name must be a plain word"))
                continue
            }
            if let variable = secrets[key] {
                problems.append(problem(keyNode, "\"\(key)\" is a secret and is never read from a file: set \(variable) in the environment"))
                continue
            }
            guard let setting = known[key] else {
                let hint = suggestion(for: key, among: settings.map(\.key)).map { "; did you mean \"\($0)\"?" } ?? ""
                problems.append(problem(keyNode, "unknown setting \"\(key)\"\(hint) (`jestry config check --help` lists them)"))
                continue
            }
            switch check(valueNode, as: setting.kind) {
            case .success(let value): values[setting.variable] = value
            case .failure(let failure): problems.append(problem(valueNode, "\(key): \(failure)"))
            }
        }
        guard problems.isEmpty else { throw Problems(list: problems) }
        return ConfigFile(values: values, path: path)
    }

    /// The value as its environment variable would hold it, or what is wrong with it.
    private static func check(_ node: Node, as kind: Kind) -> Result<String, CheckFailure> {
        let scalar = node.scalar?.string
        switch kind {
        case .text, .path:
            guard let scalar, !scalar.isEmpty else { return .failure("must be a non-empty string") }
            return .success(scalar)
        case .databaseURL:
            guard let scalar, StoreSelection.isPostgresURL(scalar), URL(string: scalar)?.password == nil else {
                return .failure("must be a postgres:// URL without a password (set PGPASSWORD or use ~/.pgpass)")
            }
            return .success(scalar)
        case .nodeID:
            guard let scalar, StoreSelection.isValidNodeID(scalar) else {
                return .failure("must be 1 to 64 letters, digits, -, _ or .")
            }
            return .success(scalar)
        case .url:
            guard let scalar, let url = URL(string: scalar), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                return .failure("must be an http:// or https:// URL")
            }
            return .success(scalar)
        case .whole(let range):
            guard let scalar, let number = Int(scalar) else { return .failure("must be a whole number") }
            guard range.contains(number) else { return .failure(CheckFailure("must be from \(range.lowerBound) to \(range.upperBound)")) }
            return .success(scalar)
        case .number(let range):
            guard let scalar, let number = Double(scalar), number.isFinite else { return .failure("must be a number") }
            guard range.contains(number) else { return .failure(CheckFailure("must be from \(format(range.lowerBound)) to \(format(range.upperBound))")) }
            return .success(scalar)
        case .oneOf(let choices):
            guard let scalar, choices.contains(scalar) else { return .failure(CheckFailure("must be one of \(choices.joined(separator: ", "))")) }
            return .success(scalar)
        case .list:
            if let scalar { return .success(scalar) }
            guard let items = node.sequence else { return .failure("must be a list of strings") }
            var strings: [String] = []
            for item in items {
                guard let text = item.scalar?.string, !text.isEmpty, !text.contains(",") else {
                    return .failure("must be a list of strings without commas")
                }
                strings.append(text)
            }
            return .success(strings.joined(separator: ","))
        case .rateLimit:
            if let scalar {
                guard RateLimitText.parse(scalar) != nil else { return .failure(CheckFailure(RateLimitText.expected)) }
                return .success(scalar)
            }
            guard let fields = node.mapping, fields.count == 2,
                  let burst = fields["burst"]?.scalar?.string, let seconds = fields["per_seconds"]?.scalar?.string,
                  RateLimitText.parse("\(burst)/\(seconds)") != nil else {
                return .failure(CheckFailure(RateLimitText.expected))
            }
            return .success("\(burst)/\(seconds)")
        }
    }

    struct CheckFailure: Error, ExpressibleByStringLiteral, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
        init(stringLiteral text: String) { description = text }
    }

    private static func format(_ number: Double) -> String {
        number == number.rounded() ? String(Int(number)) : String(number)
    }

    /// The known key closest to a misspelt one (at most two edits away).
    static func suggestion(for key: String, among keys: [String]) -> String? {
        keys.map { ($0, distance(key, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}

/// A rate limit as text: `BURST/SECONDS`, e.g. `20/60` for 20 at once, refilled evenly over a minute.
enum RateLimitText {
    static let expected = "must be a rate limit: {burst: 20, per_seconds: 60} or \"20/60\" (burst at least 1, 1 to 86400 seconds)"

    static func parse(_ text: String) -> (burst: Int, seconds: Double)? {
        let parts = text.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let burst = Int(parts[0]), burst >= 1, burst <= 1_000_000,
              let seconds = Double(parts[1]), seconds.isFinite, seconds >= 1, seconds <= 86_400 else { return nil }
        return (burst, seconds)
    }
}

import EngineClient
import Foundation
import Logging
import Prompts
import Server
import Store
import TestSupport

/// The real engine, in-process on an ephemeral port, serving the repository's web-static/ and Prompts/.
final class BrowserEngine {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let password = "a long test password"

    let engine: Engine
    var server: EngineServer { engine.server }
    var store: any EngineStore { engine.store }
    let dataDirectory: URL
    let http: HTTPClient
    let baseURL: URL
    /// The engine's log from notice up, for the report of a failed test (warnings also reach stderr at once).
    let log = RecordedLog()

    /// `resumeGraceSeconds` nil keeps the production default; `speechToTextURL` makes the engine transcribe;
    /// `model` gives it a model interviewer.
    init(trialMinutes: Double, resumeGraceSeconds: Double?, speechToTextURL: URL? = nil,
         model: ModelProviderConfiguration? = nil) throws {
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        var configuration = ServerConfiguration(dataDirectory: dataDirectory,
                                                promptsDirectory: Self.repository.appendingPathComponent("Prompts"),
                                                staticDirectory: Self.repository.appendingPathComponent("web-static"))
        configuration.port = 0
        configuration.host = "127.0.0.1"
        configuration.trialMinutes = trialMinutes
        // Real PBKDF2 with fewer rounds; the production count is tested in SecurityTests.
        configuration.passwordIterations = 1_000
        if let resumeGraceSeconds { configuration.resumeGraceSeconds = resumeGraceSeconds }
        configuration.speechToTextURL = speechToTextURL
        configuration.speechToTextTimeoutSeconds = 30
        configuration.model = model
        var logger = Logger(label: "jestry.browser-test") { [log] label in
            var stream = StreamLogHandler.standardError(label: label)
            stream.logLevel = .warning
            return MultiplexLogHandler([stream, RecordedLog.Handler(log: log, logLevel: .notice)])
        }
        logger.logLevel = .notice
        engine = try Engine.start(configuration, logger: logger, watchPromptsEvery: nil)
        baseURL = URL(string: "http://127.0.0.1:\(engine.port)/")!
        http = HTTPClient(baseURL: baseURL)
    }

    func stop() {
        engine.stop()
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    /// A fresh address for a test account.
    static func newEmail(_ prefix: String = "candidate") -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())@example.com"
    }

    /// Creates an account through the API (not the page); returns its email.
    @discardableResult
    func createAccount(email: String = newEmail(), name: String = "Grace Hopper") throws -> String {
        let response = try http.send("POST", "v1/accounts", body: ["name": name, "email": email, "password": Self.password,
                                                                    "birth_date": "1990-06-15"])
        guard response.status == 201 else {
            throw BrowserTestFailure("could not create the test account: \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        return email
    }

    /// A bearer token for API checks behind the page's back.
    func token(email: String) throws -> String {
        guard let token = try http.login(email: email, password: Self.password) else {
            throw BrowserTestFailure("could not sign in as \(email) through the API")
        }
        return token
    }

    func json(_ method: String, _ path: String, token: String) throws -> (status: Int, json: [String: Any]) {
        let response = try http.send(method, path, token: token)
        return (response.status, response.json)
    }

    var interviewURL: URL { URL(string: "ws://127.0.0.1:\(server.port)/v1/interview")! }
}

struct BrowserTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

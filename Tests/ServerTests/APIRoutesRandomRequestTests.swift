import Foundation
import Logging
import Prompts
import Store
import TestSupport
import Testing
@testable import Server

/// Seeded random requests against the whole JSON API, signed in or not: every one gets a status the API documents
/// (never a 500, never a crash) and every refusal a JSON body with a code and a message.
@Suite struct APIRoutesRandomRequestTests {
    static let methods = ["GET", "POST", "POST", "PUT", "PATCH", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW", ""]
    /// The routes that read a body come up more often.
    static let paths = ["/v1/accounts", "/v1/login", "/v1/me", "/v1/me", "/v1/me", "/v1/logout", "/v1/logout/all", "/v1/health", "/v1/ready", "/v1/tracks",
                        "/v1/prompts/status", "/v1/me", "/v1/account", "/v1/export", "/v1/sessions", "/v1/sessions/nope",
                        "/v1/billing/webhook", "/v1/billing/products", "/v1/billing/ledger", "/metrics", "/v1", "/v1/",
                        "/v1//sessions", "/v1/sessions/../me", "/v1/sessions/%00", "/v1/" + String(repeating: "a/", count: 300),
                        "/v1/me/", "/v1/ME", "/v1/sessions/\u{1F600}/video"]
    static let fields = ["name", "email", "password", "birth_date", "new_password", "current_password", "id", "type",
                         "data", "quantity", "display_name", "locale"]
    static let values: [String] = [#""Ada""#, #""ada@example.com""#, #""a long password""#, #""1990-01-01""#, #""2015-01-01""#,
                                   "null", "true", "0", "-1", "1e400", "99999999999999999999999", "1.5", "[]", "{}",
                                   #""\ud800""#, #""\u0000""#, #""""#, "\"" + String(repeating: "x", count: 5_000) + "\"",
                                   String(repeating: "[", count: 40) + String(repeating: "]", count: 40)]

    static func body(using rng: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return ""
        case 1: return String(decoding: (0..<Int.random(in: 1...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) },
                              as: UTF8.self)
        // Right at Foundation's decoder limit, where it used to trap (`JSONNesting`).
        case 2: return String(repeating: "[", count: Int.random(in: 511...514, using: &rng))
        case 3: return #"{"name":"# + String(repeating: "[", count: Int.random(in: 511...513, using: &rng))
        default:
            let chosen = fields.shuffled(using: &rng).prefix(Int.random(in: 0...6, using: &rng))
            return "{" + chosen.map { #""\#($0)":\#(values.randomElement(using: &rng)!)"# }.joined(separator: ",") + "}"
        }
    }

    @Test func randomRequestsGetADocumentedAnswer() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-random-routes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var configuration = ServerConfiguration(dataDirectory: data, promptsDirectory: repository.appendingPathComponent("Prompts"),
                                                staticDirectory: repository.appendingPathComponent("web-static"))
        configuration.passwordIterations = 1_000
        let library = try PromptLibrary.load(directory: configuration.promptsDirectory).get()
        let routes = APIRoutes(store: try SQLiteStore(path: configuration.databasePath), prompts: PromptsProvider(library),
                               configuration: configuration, logger: Logger(label: "test"))
        func call(_ method: String, _ path: String, _ body: String, token: String?, from address: Int = 1) -> HTTPResponse {
            var request = HTTPRequest(method: method, path: path)
            request.body = Data(body.utf8)
            request.authorization = token.map { "Bearer \($0)" }
            request.peerAddress = "192.0.2.\(address)"
            return routes.handle(request)
        }
        _ = call("POST", "/v1/accounts", #"{"name":"Ada","email":"ada@example.com","password":"a long password","birth_date":"1990-01-01"}"#,
                 token: nil)
        let login = call("POST", "/v1/login", #"{"email":"ada@example.com","password":"a long password"}"#, token: nil)
        let token = try #require((try JSONSerialization.jsonObject(with: login.body) as? [String: Any])?["token"] as? String)

        var rng = SeededGenerator(state: 20_261_202)
        var statuses: Set<UInt32> = []
        for index in 0..<3_000 {
            let method = Self.methods.randomElement(using: &rng)!
            let path = Self.paths.randomElement(using: &rng)!
            let body = Self.body(using: &rng)
            let signedIn = Bool.random(using: &rng) ? token : nil
            let response = call(method, path, body, token: signedIn, from: Int.random(in: 1...3, using: &rng))
            statuses.insert(response.status)
            let what = "request \(index): \(method) \(path) \(body.prefix(80).debugDescription), signed in: \(signedIn != nil)"
            // 503 only for the webhook of an engine without a webhook secret (PROTOCOL §8).
            // Framing statuses (408, 411, 413) are the service loop's; these requests reach the routes.
            let documented: Set<UInt32> = path == "/v1/billing/webhook" ? [400, 405, 503]
                : [200, 201, 206, 400, 401, 403, 404, 405, 409, 415, 416, 422, 429]
            #expect(documented.contains(response.status), "\(response.status) for \(what)")
            guard response.status >= 400 else { continue }
            let error = (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any])?["error"] as? [String: Any]
            #expect(error?["code"] is String && error?["message"] is String, "\(response.status) without a JSON error for \(what)")
        }
        // The run is worth something only if it reached both sides of the API.
        #expect(statuses.isSuperset(of: [200, 400, 401, 404, 405]))
    }
}

import Foundation
import Logging
import Prompts
import Store
import TestSupport
import Testing
@testable import Server

/// The JSON API as request → response, without a socket: the routing rules, HEAD, 405 with `Allow`, bodies decoded
/// into their types with per-field errors, and sign-in failures limited atomically.
@Suite final class APIRoutesTests: Sendable {
    let routes: APIRoutes
    let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
    /// This test's own data folder, removed with it (Swift Testing makes a new instance for every test).
    private let data: URL

    init() throws {
        data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-routes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var configuration = ServerConfiguration(dataDirectory: data, promptsDirectory: repository.appendingPathComponent("Prompts"),
                                                staticDirectory: repository.appendingPathComponent("web-static"))
        configuration.passwordIterations = 1_000
        configuration.clock = { [clock] in clock.now }
        let library = try PromptLibrary.load(directory: configuration.promptsDirectory).get()
        routes = APIRoutes(store: try SQLiteStore(path: configuration.databasePath), prompts: PromptsProvider(library),
                           configuration: configuration, logger: Logger(label: "test"))
    }

    deinit { try? FileManager.default.removeItem(at: data) }

    func call(_ method: String, _ path: String, _ body: String? = nil) -> HTTPResponse {
        var request = HTTPRequest(method: method, path: path)
        request.body = Data((body ?? "").utf8)
        request.peerAddress = "192.0.2.1"
        return routes.handle(request)
    }

    func code(_ response: HTTPResponse) -> String? {
        ((try? JSONSerialization.jsonObject(with: response.body)) as? [String: [String: String]])?["error"]?["code"]
    }

    @Test func pathsMethodsAndHEAD() {
        #expect(call("GET", "/v1/health").status == 200)
        let head = call("HEAD", "/v1/health")
        #expect(head.status == 200)
        #expect(head.body == call("GET", "/v1/health").body, "the loop drops HEAD's body; the handler answers as GET")
        let put = call("PUT", "/v1/tracks")
        #expect(put.status == 405)
        #expect(put.headers.first { $0.name == "allow:" }?.value == "GET, HEAD")
        #expect(call("DELETE", "/v1/me").headers.first { $0.name == "allow:" }?.value == "GET, HEAD, PATCH")
        #expect(call("GET", "/v1/nowhere").status == 404)
        #expect(call("GET", "/v1").status == 404)
        #expect(call("GET", "/v1/me").status == 401)
    }

    @Test func bodiesAreDecodedWithAnErrorPerField() {
        #expect(code(call("POST", "/v1/accounts")) == "empty_body")
        #expect(code(call("POST", "/v1/accounts", "{nope")) == "invalid_json")
        #expect(code(call("POST", "/v1/accounts", "[1, 2]")) == "invalid_json")
        // 513 `[` would crash Foundation's decoder; refused before it.
        let deep = call("POST", "/v1/accounts", String(repeating: "[", count: 513))
        #expect(deep.status == 400)
        #expect(code(deep) == "invalid_json")
        let missing = call("POST", "/v1/accounts", #"{"name": "Ada", "email": "ada@example.com", "password": "a long password"}"#)
        #expect(code(missing) == "invalid_field")
        #expect(String(decoding: missing.body, as: UTF8.self).contains(#"The field \"birth_date\" is required and must be a string."#))
        let wrongType = call("POST", "/v1/login", #"{"email": "ada@example.com", "password": 12345}"#)
        #expect(code(wrongType) == "invalid_field")
        let created = call("POST", "/v1/accounts", #"{"name": "Ada", "email": "ada@example.com", "password": "a long password", "birth_date": "1990-01-01"}"#)
        #expect(created.status == 201)
    }

    @Test func aWebhookBodyNestedTooDeepIsRefusedBeforeItIsParsed() {
        guard case .failure(let response) = ParsedWebhook.parse(Data(String(repeating: "[", count: 513).utf8)) else {
            Issue.record("513 × [ parsed as a webhook")
            return
        }
        #expect(response.status == 400)
        #expect(code(response) == "invalid_event")
    }

    @Test func parallelWrongPasswordsGetExactlyTheLimit() {
        _ = call("POST", "/v1/accounts", #"{"name": "Ada", "email": "ada@example.com", "password": "a long password", "birth_date": "1990-01-01"}"#)
        let lock = NSLock()
        nonisolated(unsafe) var statuses: [UInt32] = []
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let status = call("POST", "/v1/login", #"{"email": "ada@example.com", "password": "wrong password"}"#).status
            lock.withLock { statuses.append(status) }
        }
        #expect(statuses.filter { $0 == 401 }.count == 10)
        #expect(statuses.filter { $0 == 429 }.count == 6)
    }
}

import Foundation
import Interview
import Logging
import Prompts
import Security
import Store

/// The JSON HTTP API. Handlers may block (password hashing, database reads), so they run on worker threads,
/// never on the libwebsockets service thread.
struct APIRoutes: Sendable {
    let store: any EngineStore
    let prompts: PromptsProvider
    let configuration: ServerConfiguration
    let logger: Logger
    let limits: AccessLimits
    let originPolicy: OriginPolicy
    /// The transcriber's health, when one is configured (`GET /v1/health`).
    let transcription: TranscriptionHealth?
    /// Session videos, appended on `videoWriter` (the engine passes its store writer).
    let video: VideoUploads
    /// Whether the node drains (`GET /v1/ready`) and what it counts (`GET /metrics`).
    let drain: DrainState
    let metrics: EngineMetrics?

    init(store: any EngineStore, prompts: PromptsProvider, configuration: ServerConfiguration, logger: Logger,
         transcription: TranscriptionHealth? = nil, videoWriter: DispatchQueue = DispatchQueue(label: "jestry.video-writer"),
         drain: DrainState = DrainState(), metrics: EngineMetrics? = nil) {
        self.transcription = transcription
        video = VideoUploads(store: store, configuration: configuration, logger: logger, writer: videoWriter)
        self.drain = drain
        self.metrics = metrics
        self.store = store
        self.prompts = prompts
        self.configuration = configuration
        self.logger = logger
        limits = AccessLimits(configuration)
        originPolicy = OriginPolicy(allowedOrigins: configuration.allowedOrigins, tls: configuration.tlsEnabled)
    }

    var hasher: PasswordHasher { PasswordHasher(iterations: configuration.passwordIterations) }
    var now: Date { configuration.clock() }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        do {
            return try route(request)
        } catch {
            logger.error("API request failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return .error(500, "internal_error", "Something went wrong on our side; please try again.")
        }
    }

    /// Up, and who transcribes voice sessions started now: `engine` (its transcriber answers its health probe),
    /// `unavailable` (one is configured but down: clients transcribe) or `client` (none configured).
    private func health() -> HTTPResponse {
        let transcription = transcription.map { $0.isAvailable ? "engine" : "unavailable" } ?? "client"
        return .json(200, ["status": "ok", "transcription": transcription])
    }

    private func route(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let handlers = endpoint(request) else {
            return .error(404, "not_found", "There is no API endpoint \(request.path).")
        }
        // HEAD is GET without the body (the service loop drops it), so it gets the same status and headers.
        let method = request.method == "HEAD" ? "GET" : request.method
        guard let handler = handlers[method] else {
            return .methodNotAllowed(request.method, request.path, allow: Self.allowHeader(handlers.keys))
        }
        return try handler()
    }

    /// The methods an endpoint answers, each with its handler; nil when there is no such endpoint.
    private func endpoint(_ request: HTTPRequest) -> [String: () throws -> HTTPResponse]? {
        if request.path == "/metrics" { return ["GET": { metricsEndpoint(request) }] }
        let segments = request.path.split(separator: "/").map(String.init)
        guard segments.first == "v1", segments.count >= 2 else { return nil }
        if let video = videoEndpoint(request, segments) { return video }
        switch (segments[1], segments.count) {
        case ("accounts", 2): return ["POST": { try createAccount(request) }]
        case ("login", 2): return ["POST": { try login(request) }]
        case ("logout", 2): return ["POST": { try authenticated(request) { try logout($0, everywhere: false) } }]
        case ("logout", 3) where segments[2] == "all":
            return ["POST": { try authenticated(request) { try logout($0, everywhere: true) } }]
        case ("health", 2): return ["GET": { health() }]
        case ("ready", 2): return ["GET": { readiness() }]
        case ("tracks", 2): return ["GET": { tracks() }]
        case ("prompts", 3) where segments[2] == "status": return ["GET": { promptsStatus() }]
        case ("me", 2):
            return ["GET": { try authenticated(request) { try me($0.accountID) } },
                    "PATCH": { try authenticated(request) { try updateMe($0, request) } }]
        case ("account", 2): return ["DELETE": { try authenticated(request) { try deleteAccount($0, request) } }]
        case ("export", 2): return ["GET": { try authenticated(request) { try export($0.accountID) } }]
        case ("sessions", 2): return ["GET": { try authenticated(request) { try sessionList($0.accountID) } }]
        case ("sessions", 3):
            let id = segments[2]
            return ["GET": { try authenticated(request) { try sessionDetail(id, accountID: $0.accountID) } },
                    "DELETE": { try authenticated(request) { try deleteSession(id, accountID: $0.accountID) } }]
        case ("billing", 3) where segments[2] == "webhook": return ["POST": { try billingWebhook(request) }]
        case ("billing", 3) where segments[2] == "products": return ["GET": { products() }]
        case ("billing", 3) where segments[2] == "ledger": return ["GET": { try authenticated(request) { try ledger($0.accountID) } }]
        default: return nil
        }
    }

    /// The `Allow` value for `path` (API, recording, interview or static), or nil for an API path that does not exist.
    func allowedMethods(path: String) -> String? {
        if path == "/v1/interview" { return "GET" }
        if ServiceLoop.recordingSessionID(path) != nil { return "GET, HEAD" }
        guard path == "/v1" || path.hasPrefix("/v1/") else { return "GET, HEAD" }
        return endpoint(HTTPRequest(method: "GET", path: path)).map { Self.allowHeader($0.keys) }
    }

    /// `Allow` for a 405: the endpoint's methods in a fixed order, HEAD wherever GET is.
    static func allowHeader(_ methods: some Sequence<String>) -> String {
        var names = Set(methods)
        if names.contains("GET") { names.insert("HEAD") }
        let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        return order.filter(names.contains).joined(separator: ", ")
    }

    /// Who is calling, and with which token.
    struct Caller {
        var accountID: String
        var token: String
    }

    /// Runs `body` for a signed-in caller; a missing, unknown, logged-out or expired token gets 401.
    func authenticated(_ request: HTTPRequest, _ body: (Caller) throws -> HTTPResponse) throws -> HTTPResponse {
        let unauthorized = HTTPResponse.error(401, "unauthorized",
                                              "Sign in first: send the token from POST /v1/login as \"Authorization: Bearer …\".")
        guard let token = request.bearerToken, token.utf8.count <= 512 else { return unauthorized }
        let now = self.now
        guard let accountID = try store.accountID(forToken: token, at: now) else { return unauthorized }
        // A browser attaches the cookie to requests other sites make; SameSite=Strict stops that, and for changes
        // the Origin, when a browser sends one, must be ours too (defence in depth against CSRF).
        if request.usesCookieCredentials, !["GET", "HEAD"].contains(request.method),
           !originPolicy.allows(origin: request.origin, host: request.host, port: request.serverPort) {
            return .error(403, "origin_not_allowed", "This request came from another site; make it from the engine's own page.")
        }
        do {
            try store.touchToken(token, at: now, idleTimeout: configuration.tokenIdleTimeout)
        } catch {
            // Only the idle expiry is late by this; the request itself is fine.
            logger.warning("could not record a token's use", metadata: ["error": "\(error)"])
        }
        return try body(Caller(accountID: accountID, token: token))
    }

    private func me(_ accountID: String) throws -> HTTPResponse {
        guard let account = try store.account(id: accountID) else {
            return .error(401, "unauthorized", "This account no longer exists.")
        }
        return .json(200, AccountView(account))
    }

    private func promptsStatus() -> HTTPResponse {
        let status = prompts.status
        return .json(200, PromptsStatusView(
            version: status.version, loadedAt: status.loadedAt, tracks: status.trackCount, templates: status.templateCount,
            errors: status.errors.map { .init(file: $0.file, line: $0.line, column: $0.column, message: $0.message) }))
    }

    private func tracks() -> HTTPResponse {
        let list = prompts.current.sortedTracks.map {
            TrackView(id: $0.id, title: $0.title, description: $0.description, questionCount: $0.questionIDs.count,
                      questionsPerSession: $0.questionsPerSession, order: $0.order.rawValue,
                      targetAnswerSeconds: $0.targetAnswerSeconds)
        }
        return .json(200, ["tracks": list])
    }
}

struct AccountView: Encodable {
    var id: String
    var name: String
    var email: String
    var balanceMs: Int64
    var balanceMinutes: Double
    var modelProcessing: Bool

    init(_ account: Account) {
        modelProcessing = account.modelProcessing
        id = account.id
        name = account.name
        email = account.email
        balanceMs = account.balanceMs
        balanceMinutes = (Double(account.balanceMs) / 600).rounded() / 100
    }

    enum CodingKeys: String, CodingKey {
        case id, name, email, balanceMs = "balance_ms", balanceMinutes = "balance_minutes"
        case modelProcessing = "model_processing"
    }
}

struct LoginView: Encodable {
    var token: String
    var account: AccountView
}

struct TrackView: Encodable {
    var id: String
    var title: String
    var description: String
    var questionCount: Int
    var questionsPerSession: Int
    var order: String
    var targetAnswerSeconds: Int

    enum CodingKeys: String, CodingKey {
        case id, title, description, questionCount = "question_count", questionsPerSession = "questions_per_session"
        case order, targetAnswerSeconds = "target_answer_seconds"
    }
}

struct PromptsStatusView: Encodable {
    struct Problem: Encodable {
        var file: String
        var line: Int
        var column: Int
        var message: String
    }
    var version: String
    var loadedAt: Date
    var tracks: Int
    var templates: Int
    var errors: [Problem]

    enum CodingKeys: String, CodingKey {
        case version, loadedAt = "loaded_at", tracks, templates, errors
    }
}

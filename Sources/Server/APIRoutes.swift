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

    var hasher: PasswordHasher { PasswordHasher(iterations: configuration.passwordIterations) }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        do {
            return try route(request)
        } catch {
            logger.error("API request failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return .error(500, "internal_error", "Something went wrong on our side; please try again.")
        }
    }

    private func route(_ request: HTTPRequest) throws -> HTTPResponse {
        let segments = request.path.split(separator: "/").map(String.init)
        guard segments.first == "v1", segments.count >= 2 else {
            return .error(404, "not_found", "There is no API endpoint \(request.path).")
        }
        let resource = segments[1]
        let method = request.method
        switch (resource, segments.count) {
        case ("accounts", 2) where method == "POST": return try createAccount(request)
        case ("login", 2) where method == "POST": return try login(request)
        case ("health", 2) where method == "GET": return .json(200, ["status": "ok"])
        case ("tracks", 2) where method == "GET": return tracks()
        case ("prompts", 3) where method == "GET" && segments[2] == "status": return promptsStatus()
        case ("me", 2) where method == "GET": return try authenticated(request) { try me($0) }
        case ("sessions", 2) where method == "GET":
            return try authenticated(request) { accountID in .json(200, ["sessions": try store.sessions(accountID: accountID)]) }
        case ("sessions", 3) where method == "GET":
            let id = segments[2]
            return try authenticated(request) { accountID in
                // Another account's session looks exactly like a missing one.
                guard let detail = try store.session(id: id, accountID: accountID) else {
                    return .error(404, "not_found", "There is no session \(id) in your history.")
                }
                return .json(200, detail)
            }
        case ("prompts", 3) where segments[2] == "status":
            return .error(405, "method_not_allowed", "\(method) is not supported on \(request.path).")
        case ("accounts", 2), ("login", 2), ("health", 2), ("tracks", 2), ("me", 2), ("sessions", 2), ("sessions", 3):
            return .error(405, "method_not_allowed", "\(method) is not supported on \(request.path).")
        default:
            return .error(404, "not_found", "There is no API endpoint \(request.path).")
        }
    }

    private func authenticated(_ request: HTTPRequest, _ body: (String) throws -> HTTPResponse) throws -> HTTPResponse {
        guard let token = request.bearerToken, let accountID = try store.accountID(forToken: token, at: Date()) else {
            return .error(401, "unauthorized", "Sign in first: send the token from POST /v1/login as \"Authorization: Bearer …\".")
        }
        return try body(accountID)
    }

    private func createAccount(_ request: HTTPRequest) throws -> HTTPResponse {
        let fields: [String: Any]
        switch request.jsonObject() {
        case .success(let value): fields = value
        case .failure(let response): return response
        }
        for name in ["name", "email", "password", "birth_date"] where !(fields[name] is String) {
            return .error(400, "invalid_field", "The field \"\(name)\" is required and must be a string.")
        }
        let valid: (name: String, email: String, birthDate: String)
        do {
            valid = try SignupRules.validate(name: fields["name"] as! String, email: fields["email"] as! String,
                                             password: fields["password"] as! String,
                                             birthDate: fields["birth_date"] as! String, today: Date())
        } catch .underMinimumAge {
            return .error(403, "under_minimum_age", SignupRules.Problem.underMinimumAge.description)
        } catch .invalid(let field, let message) {
            return .error(400, "invalid_field", "\(field): \(message)")
        }
        let hash = hasher.hash(fields["password"] as! String)
        do {
            let account = try store.createAccount(NewAccount(name: valid.name, email: valid.email, passwordHash: hash,
                                                             birthDate: valid.birthDate),
                                                  trialMs: configuration.trialMs, at: Date())
            logger.info("account created", metadata: ["account.id": "\(account.id)"])
            return .json(201, AccountView(account))
        } catch StoreError.emailTaken {
            return .error(409, "email_taken", "An account with this email already exists; sign in instead.")
        }
    }

    private func login(_ request: HTTPRequest) throws -> HTTPResponse {
        let fields: [String: Any]
        switch request.jsonObject() {
        case .success(let value): fields = value
        case .failure(let response): return response
        }
        guard let email = fields["email"] as? String, let password = fields["password"] as? String else {
            return .error(400, "invalid_field", "Send \"email\" and \"password\" as strings.")
        }
        let refused = HTTPResponse.error(401, "invalid_credentials", "The email or password is wrong.")
        guard let (account, stored) = try store.credentials(email: email) else {
            _ = hasher.hash(password)  // same work as a real check, so timing does not reveal which emails exist
            return refused
        }
        guard hasher.verify(password, against: stored) else { return refused }
        if hasher.needsRehash(stored) {
            try store.updatePasswordHash(accountID: account.id, hash: hasher.hash(password))
        }
        let token = try store.issueToken(accountID: account.id, at: Date(), lifetime: configuration.tokenLifetime)
        var response = HTTPResponse.json(200, LoginView(token: token, account: AccountView(account)))
        response.headers.append((name: "set-cookie:",
                                 value: "\(Credentials.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(configuration.tokenLifetime))"))
        return response
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

    init(_ account: Account) {
        id = account.id
        name = account.name
        email = account.email
        balanceMs = account.balanceMs
        balanceMinutes = (Double(account.balanceMs) / 600).rounded() / 100
    }

    enum CodingKeys: String, CodingKey {
        case id, name, email, balanceMs = "balance_ms", balanceMinutes = "balance_minutes"
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

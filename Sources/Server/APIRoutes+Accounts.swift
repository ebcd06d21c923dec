import Foundation
import Security
import Store

/// The rate limits on signing up and signing in, shared by every request of one server.
struct AccessLimits: Sendable {
    let loginPerAddress: RateLimiter
    let loginFailuresPerAccount: RateLimiter
    let signupPerAddress: RateLimiter
    let signupPerEmail: RateLimiter

    init(_ configuration: ServerConfiguration) {
        loginPerAddress = RateLimiter(configuration.loginLimitPerAddress, clock: configuration.clock)
        loginFailuresPerAccount = RateLimiter(configuration.loginFailureLimitPerAccount, clock: configuration.clock)
        signupPerAddress = RateLimiter(configuration.signupLimitPerAddress, clock: configuration.clock)
        signupPerEmail = RateLimiter(configuration.signupLimitPerEmail, clock: configuration.clock)
    }
}

extension HTTPResponse {
    /// 429 with `Retry-After` in whole seconds (at least 1).
    static func rateLimited(_ message: String, retryAfter seconds: TimeInterval) -> HTTPResponse {
        let wait = max(1, Int(seconds.rounded(.up)))
        var response = HTTPResponse.error(429, "rate_limited", "\(message) Try again in \(wait) second\(wait == 1 ? "" : "s").")
        response.headers.append((name: "retry-after:", value: "\(wait)"))
        return response
    }
}

/// Signing up, in and out, and correcting or deleting the account.
extension APIRoutes {
    func createAccount(_ request: HTTPRequest) throws -> HTTPResponse {
        let address = request.peerAddress ?? "unknown"
        let wait = limits.signupPerAddress.take(address)
        guard wait == 0 else { return .rateLimited("Too many signups from your address.", retryAfter: wait) }
        let fields: SignupBody
        switch request.decodeBody(SignupBody.self) {
        case .success(let value): fields = value
        case .failure(let response): return response
        }
        let valid: (name: String, email: String, birthDate: String)
        do {
            valid = try SignupRules.validate(name: fields.name, email: fields.email, password: fields.password,
                                             birthDate: fields.birthDate, today: now)
        } catch .underMinimumAge {
            // Nothing about the person is kept: no row, no log line with their details, no rate-limit key by email.
            return .error(403, "under_minimum_age", SignupRules.Problem.underMinimumAge.description)
        } catch .invalid(let field, let message) {
            return .error(400, "invalid_field", "\(field): \(message)")
        }
        // Per email, so the "email taken" answer cannot be used to test many addresses from many places.
        let emailWait = limits.signupPerEmail.take(valid.email)
        guard emailWait == 0 else { return .rateLimited("Too many signups for this email.", retryAfter: emailWait) }
        let hash = hasher.hash(fields.password)
        do {
            let account = try store.createAccount(NewAccount(name: valid.name, email: valid.email, passwordHash: hash,
                                                             birthDate: valid.birthDate),
                                                  trialMs: configuration.trialMs, at: now)
            logger.info("account created", metadata: ["account.id": "\(account.id)"])
            return .json(201, AccountView(account))
        } catch StoreError.emailTaken {
            return .error(409, "email_taken", "An account with this email already exists; sign in instead.")
        }
    }

    func login(_ request: HTTPRequest) throws -> HTTPResponse {
        let address = request.peerAddress ?? "unknown"
        let wait = limits.loginPerAddress.take(address)
        guard wait == 0 else { return .rateLimited("Too many sign-in attempts from your address.", retryAfter: wait) }
        let fields: LoginBody
        switch request.decodeBody(LoginBody.self) {
        case .success(let value): fields = value
        case .failure(let response): return response
        }
        let (email, password) = (fields.email, fields.password)
        guard email.utf8.count <= 320, password.utf8.count <= 1024 else {
            return .error(400, "invalid_field", "Send \"email\" and \"password\" as strings.")
        }
        // Failures count per account (known or not, so the answer does not reveal which emails exist); once they
        // run out, the password is not even checked until the wait is over.
        let accountKey = email.trimmingCharacters(in: .whitespaces).lowercased()
        // Every attempt takes a token before the password is checked, and a success gives the account its tokens
        // back: parallel guesses cannot all pass a check made before any of them failed.
        let accountWait = limits.loginFailuresPerAccount.take(accountKey)
        guard accountWait == 0 else {
            return .rateLimited("Too many failed sign-ins for this account.", retryAfter: accountWait)
        }
        let refused = HTTPResponse.error(401, "invalid_credentials", "The email or password is wrong.")
        guard let (account, stored) = try store.credentials(email: email) else {
            _ = hasher.hash(password)  // same work as a real check, so timing does not reveal which emails exist
            return refused
        }
        guard hasher.verify(password, against: stored) else {
            return refused
        }
        limits.loginFailuresPerAccount.reset(accountKey)
        if hasher.needsRehash(stored) {
            try store.updatePasswordHash(accountID: account.id, hash: hasher.hash(password))
        }
        let token = try store.issueToken(accountID: account.id, at: now, lifetime: configuration.tokenLifetime,
                                         idleTimeout: configuration.tokenIdleTimeout)
        var response = HTTPResponse.json(200, LoginView(token: token, account: AccountView(account)))
        response.headers.append((name: "set-cookie:", value: sessionCookie(token, maxAge: Int(configuration.tokenLifetime))))
        return response
    }

    /// `HttpOnly` (scripts cannot read it), `SameSite=Strict` (other sites' requests do not carry it), `Secure` when
    /// served over TLS (never sent in clear).
    func sessionCookie(_ value: String, maxAge: Int) -> String {
        "\(Credentials.cookieName)=\(value); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)"
            + (configuration.tlsEnabled ? "; Secure" : "")
    }

    func logout(_ caller: Caller, everywhere: Bool) throws -> HTTPResponse {
        let ended = everywhere ? try store.revokeAllTokens(accountID: caller.accountID)
                               : (try store.revokeToken(caller.token) ? 1 : 0)
        logger.info(everywhere ? "logged out everywhere" : "logged out", metadata: ["account.id": "\(caller.accountID)"])
        var response = HTTPResponse.json(200, ["tokens_ended": ended])
        response.headers.append((name: "set-cookie:", value: sessionCookie("", maxAge: 0)))
        return response
    }

    /// PATCH /v1/me: correct the name or the email. Changing the email needs the password.
    func updateMe(_ caller: Caller, _ request: HTTPRequest) throws -> HTTPResponse {
        let fields: AccountCorrectionBody
        switch request.decodeBody(AccountCorrectionBody.self) {
        case .success(let value): fields = value
        case .failure(let response): return response
        }
        var name = fields.name
        var email = fields.email
        guard name != nil || email != nil || fields.modelProcessing != nil else {
            return .error(400, "invalid_field", "Send \"name\", \"email\" and/or \"model_processing\" to change.")
        }
        do {
            if let given = name { name = try SignupRules.validName(given) }
            if let given = email { email = try SignupRules.validEmail(given) }
        } catch .invalid(let field, let message) {
            return .error(400, "invalid_field", "\(field): \(message)")
        } catch {
            return .error(400, "invalid_field", "\(error)")
        }
        guard let current = try store.account(id: caller.accountID) else {
            return .error(401, "unauthorized", "This account no longer exists.")
        }
        if let newEmail = email, newEmail != current.email {
            // Whoever holds a token must not be able to take the account over by moving its email.
            guard let password = fields.password,
                  let stored = try store.credentials(email: current.email)?.passwordHash,
                  hasher.verify(password, against: stored) else {
                return .error(403, "password_required", "Changing the email needs your current password in \"password\".")
            }
        }
        do {
            var updated = try store.updateAccount(id: caller.accountID, name: name, email: email)
            if let enabled = fields.modelProcessing {
                updated = try store.setModelProcessing(accountID: caller.accountID, enabled: enabled)
            }
            logger.info("account corrected", metadata: ["account.id": "\(caller.accountID)"])
            return .json(200, AccountView(updated))
        } catch StoreError.emailTaken {
            return .error(409, "email_taken", "Another account already uses this email.")
        }
    }

    /// DELETE /v1/account: everything goes, after the password confirms it.
    func deleteAccount(_ caller: Caller, _ request: HTTPRequest) throws -> HTTPResponse {
        let fields: AccountDeletionBody
        switch request.decodeBody(AccountDeletionBody.self) {
        case .success(let value): fields = value
        case .failure(let response): return response
        }
        guard let current = try store.account(id: caller.accountID) else {
            return .error(401, "unauthorized", "This account no longer exists.")
        }
        guard let password = fields.password,
              let stored = try store.credentials(email: current.email)?.passwordHash,
              hasher.verify(password, against: stored) else {
            return .error(403, "password_required", "Deleting the account needs your current password in \"password\".")
        }
        guard let sessionIDs = try store.deleteAccount(id: caller.accountID) else {
            return .error(401, "unauthorized", "This account no longer exists.")
        }
        var recordingsLeft = 0
        for sessionID in sessionIDs {
            do {
                try video.afterPendingAppends { try RecordingFiles.remove(forSession: sessionID, dataDirectory: configuration.dataDirectory) }
            } catch {
                recordingsLeft += 1
                logger.error("could not delete a recording", metadata: ["session.id": "\(sessionID)", "error": "\(error)"])
            }
        }
        logger.info("account deleted", metadata: ["account.id": "\(caller.accountID)", "sessions": "\(sessionIDs.count)"])
        if recordingsLeft > 0 {
            return .error(500, "internal_error", "Your account was deleted, but \(recordingsLeft) recording file(s) could not be; "
                          + "we have logged it and will remove them.")
        }
        var response = HTTPResponse.json(200, DeletedAccountView(deleted: true, sessionsDeleted: sessionIDs.count))
        response.headers.append((name: "set-cookie:", value: sessionCookie("", maxAge: 0)))
        return response
    }
}

struct DeletedAccountView: Encodable {
    var deleted: Bool
    var sessionsDeleted: Int

    enum CodingKeys: String, CodingKey {
        case deleted, sessionsDeleted = "sessions_deleted"
    }
}

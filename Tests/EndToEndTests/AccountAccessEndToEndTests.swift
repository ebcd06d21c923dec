import EngineClient
import Foundation
import Security
import Server
import Store
import TestSupport
import Testing

/// Sign-in tokens, logout, rate limits and account corrections against the real server (clock stepped by hand).
@Suite struct AccountAccessEndToEndTests {
    static let password = "a long test password"

    @Test func logoutEndsThatTokenAndLogoutAllEndsEveryToken() throws {
        let engine = try TestEngine()
        let email = "ada@example.com"
        let first = try engine.signUp(email)
        let second = try #require(try engine.http.login(email: email, password: Self.password))
        let third = try #require(try engine.http.login(email: email, password: Self.password))

        let out = try engine.http.send("POST", "v1/logout", token: first)
        #expect(out.status == 200 && out.json["tokens_ended"] as? Int == 1)
        #expect(out.headers["set-cookie"]?.contains("Max-Age=0") == true)
        #expect(try engine.http.send("GET", "v1/me", token: first).status == 401)
        #expect(try engine.http.send("GET", "v1/me", token: second).status == 200)

        let everywhere = try engine.http.send("POST", "v1/logout/all", token: second)
        #expect(everywhere.status == 200 && everywhere.json["tokens_ended"] as? Int == 2)
        #expect(try engine.http.send("GET", "v1/me", token: second).status == 401)
        #expect(try engine.http.send("GET", "v1/me", token: third).status == 401)
        #expect(try engine.http.send("POST", "v1/logout", token: third).status == 401)
        #expect(try engine.http.send("GET", "v1/logout").status == 405)
    }

    @Test func tokensExpireWhenIdleAndAtTheirAbsoluteEnd() throws {
        let clock = ManualClock()
        let engine = try TestEngine {
            $0.clock = { clock.now }
            $0.tokenIdleTimeout = 600
            $0.tokenLifetime = 3_600
        }
        let email = "ada@example.com"
        let token = try engine.signUp(email)
        clock.advance(599)
        #expect(try engine.http.send("GET", "v1/me", token: token).status == 200, "used just in time: idle clock restarts")
        clock.advance(599)
        #expect(try engine.http.send("GET", "v1/me", token: token).status == 200)
        clock.advance(601)
        #expect(try engine.http.send("GET", "v1/me", token: token).status == 401, "idle for over 10 minutes")

        let busy = try #require(try engine.http.login(email: email, password: Self.password))
        for _ in 0..<8 {
            clock.advance(500)
            _ = try engine.http.send("GET", "v1/me", token: busy)
        }
        #expect(try engine.http.send("GET", "v1/me", token: busy).status == 401, "an hour after login, however busy")
        // An expired token cannot open the interview either.
        #expect(throws: WebSocketClient.ClientError.self) { try engine.connect(token: busy) }
    }

    @Test func signInAttemptsAreRateLimitedPerAccountAndPerAddress() throws {
        let clock = ManualClock()
        let engine = try TestEngine {
            $0.clock = { clock.now }
            $0.loginFailureLimitPerAccount = RateLimit(burst: 3, period: 300)
            $0.loginLimitPerAddress = RateLimit(burst: 8, period: 60)
        }
        let email = "ada@example.com"
        _ = try engine.signUp(email)  // one sign-in
        for _ in 0..<3 {
            let wrong = try engine.http.send("POST", "v1/login", body: ["email": email, "password": "wrong password!"])
            #expect(wrong.status == 401)
        }
        // The account's failures are used up: even the right password waits, and nothing says whether it was right.
        let limited = try engine.http.send("POST", "v1/login", body: ["email": email, "password": Self.password])
        #expect(limited.status == 429 && limited.errorCode == "rate_limited")
        let retryAfter = try #require(limited.headers["retry-after"].flatMap(Int.init))
        #expect((1...100).contains(retryAfter), "one attempt comes back every 100 s")
        // Another account from the same address is not affected by Ada's failures.
        _ = try engine.signUp("bob@example.com")
        clock.advance(Double(retryAfter))
        #expect(try engine.http.send("POST", "v1/login", body: ["email": email, "password": Self.password]).status == 200)

        // Per address: 8 attempts a minute whatever the account. The wait above refilled the bucket; the success
        // took one, so 7 more are answered and the next is refused.
        var statuses: [Int] = []
        for index in 0..<8 {
            statuses.append(try engine.http.send("POST", "v1/login", body: ["email": "nobody\(index)@example.com",
                                                                            "password": "whatever pass"]).status)
        }
        #expect(statuses == Array(repeating: 401, count: 7) + [429])
        let address = try engine.http.send("POST", "v1/login", body: ["email": email, "password": Self.password])
        #expect(address.status == 429)
        #expect(address.headers["retry-after"] != nil)
        clock.advance(60)
        #expect(try engine.http.send("POST", "v1/login", body: ["email": email, "password": Self.password]).status == 200)
    }

    @Test func signupsAreRateLimitedPerAddressAndPerEmail() throws {
        let clock = ManualClock()
        let engine = try TestEngine {
            $0.clock = { clock.now }
            $0.signupLimitPerAddress = RateLimit(burst: 3, period: 3_600)
            $0.signupLimitPerEmail = RateLimit(burst: 2, period: 3_600)
        }
        let body: [String: Any] = ["name": "Ada", "email": "ada@example.com", "password": Self.password, "birth_date": "1990-01-01"]
        #expect(try engine.http.send("POST", "v1/accounts", body: body).status == 201)
        #expect(try engine.http.send("POST", "v1/accounts", body: body).status == 409)
        let perEmail = try engine.http.send("POST", "v1/accounts", body: body)
        #expect(perEmail.status == 429 && perEmail.headers["retry-after"] != nil)
        var other = body
        other["email"] = "bob@example.com"
        let perAddress = try engine.http.send("POST", "v1/accounts", body: other)
        #expect(perAddress.status == 429, "the fourth signup from this address in an hour")
        #expect(try engine.store.credentials(email: "bob@example.com") == nil)
        clock.advance(1_201)  // one signup comes back every 20 minutes
        #expect(try engine.http.send("POST", "v1/accounts", body: other).status == 201)
    }

    @Test func theNameAndEmailCanBeCorrectedAndNothingElse() throws {
        let engine = try TestEngine()
        let token = try engine.signUp("ada@example.com")
        let renamed = try engine.http.send("PATCH", "v1/me", body: ["name": "  Ada King  "], token: token)
        #expect(renamed.status == 200 && renamed.json["name"] as? String == "Ada King")

        let noPassword = try engine.http.send("PATCH", "v1/me", body: ["email": "ada.king@example.com"], token: token)
        #expect(noPassword.status == 403 && noPassword.errorCode == "password_required")
        let wrongPassword = try engine.http.send("PATCH", "v1/me", body: ["email": "ada.king@example.com", "password": "nope nope nope"],
                                                 token: token)
        #expect(wrongPassword.status == 403)
        let moved = try engine.http.send("PATCH", "v1/me", body: ["email": "Ada.King@Example.com", "password": Self.password],
                                         token: token)
        #expect(moved.status == 200 && moved.json["email"] as? String == "ada.king@example.com")
        #expect(try engine.http.login(email: "ada.king@example.com", password: Self.password) != nil)

        _ = try engine.signUp("bob@example.com")
        let taken = try engine.http.send("PATCH", "v1/me", body: ["email": "bob@example.com", "password": Self.password], token: token)
        #expect(taken.status == 409 && taken.errorCode == "email_taken")
        let balance = try engine.http.send("PATCH", "v1/me", body: ["balance_ms": 99_999_999], token: token)
        #expect(balance.status == 400 && balance.errorCode == "invalid_field")
        #expect(try engine.http.send("PATCH", "v1/me", body: ["name": ""], token: token).status == 400)
        #expect(try engine.http.send("PATCH", "v1/me", body: ["name": 5], token: token).status == 400)
        #expect(try engine.http.send("PATCH", "v1/me", body: ["email": "not an email", "password": Self.password], token: token).status == 400)
        #expect(try engine.http.send("PATCH", "v1/me", body: [:] as [String: Any], token: token).status == 400)
        #expect(try engine.http.send("PATCH", "v1/me", body: ["name": "x"]).status == 401)

        let sql = "Robert'); DROP TABLE accounts; --"
        let hostile = try engine.http.send("PATCH", "v1/me", body: ["name": sql], token: token)
        #expect(hostile.status == 200 && hostile.json["name"] as? String == sql)
        let me = try engine.http.send("GET", "v1/me", token: token).json
        #expect(me["name"] as? String == sql && me["email"] as? String == "ada.king@example.com")
        #expect(me["balance_ms"] as? Int == 600_000)
    }

    @Test func sqlShapedInputIsJustText() throws {
        let engine = try TestEngine()
        try engine.besideANormalInterview { _ in
            let sql = "' OR '1'='1'; DROP TABLE accounts; --"
            let signup = try engine.http.send("POST", "v1/accounts", body: ["name": sql, "email": "x'--@example.com",
                                                                            "password": sql, "birth_date": "1990-01-01"])
            #expect(signup.status == 201 && signup.json["name"] as? String == sql)
            #expect(try engine.http.send("POST", "v1/accounts", body: ["name": "A", "email": sql, "password": Self.password,
                                                                       "birth_date": "1990-01-01"]).status == 400)
            #expect(try engine.http.send("POST", "v1/accounts", body: ["name": "A", "email": "a@example.com", "password": Self.password,
                                                                       "birth_date": sql]).status == 400)
            #expect(try engine.http.send("POST", "v1/login", body: ["email": sql, "password": sql]).status == 401)
            #expect(try engine.http.send("POST", "v1/login", body: ["email": "x'--@example.com", "password": "' OR 1=1 --"]).status == 401)
            let token = try #require(try engine.http.login(email: "x'--@example.com", password: sql))
            #expect(try engine.http.send("GET", "v1/sessions/' OR 1=1 --", token: token).status == 404)
            #expect(try engine.http.send("DELETE", "v1/sessions/1%20OR%201=1", token: token).status == 404)
            #expect(try engine.http.send("GET", "v1/me", token: sql).status == 401)
            let client = try engine.connect(token: token)
            defer { client.shutdown() }
            try client.send(json: ["type": "session.start", "track": sql])
            #expect(try client.next("error")["code"] as? String == "unknown_track")
            #expect(try engine.http.send("GET", "v1/health").status == 200)
        }
    }

    /// PBKDF2 parameters change (here 500 → the engine's 1 000 iterations): the hash is upgraded at the next sign-in.
    @Test func anOldPasswordHashIsUpgradedAtSignIn() throws {
        let engine = try TestEngine()
        let old = PasswordHasher(iterations: 500).hash(Self.password)
        let account = try engine.store.createAccount(NewAccount(name: "Ada", email: "ada@example.com", passwordHash: old,
                                                                birthDate: "1990-01-01"), trialMs: 0, at: Date())
        #expect(try engine.http.login(email: "ada@example.com", password: Self.password) != nil)
        let upgraded = try #require(try engine.store.credentials(email: "ada@example.com")?.passwordHash)
        #expect(upgraded.hasPrefix("pbkdf2-sha256$1000$") && upgraded != old)
        #expect(!PasswordHasher(iterations: 1_000).needsRehash(upgraded))
        #expect(try engine.http.login(email: "ada@example.com", password: Self.password) != nil)
        #expect(try engine.store.account(id: account.id) != nil)
    }

    @Test func theSessionCookieIsHttpOnlyStrictAndNotSecureOverPlainHTTP() throws {
        let engine = try TestEngine()
        try engine.besideANormalInterview { _ in
            let email = "ada@example.com"
            _ = try engine.signUp(email)
            let login = try engine.http.send("POST", "v1/login", body: ["email": email, "password": Self.password])
            let cookie = try #require(login.headers["set-cookie"])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"), "Secure is set only when served over TLS (TLSEndToEndTests)")
        }
    }

    @Test func aLiveInterviewEndsWhenItsTokenIsLoggedOut() throws {
        let engine = try TestEngine { $0.tokenRecheckInterval = 0.2 }
        let (token, accountID) = try engine.signUpWithID("ada@example.com")
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": "At my last job I led a migration"])
        _ = try client.next("feedback.live")

        let other = try #require(try engine.http.login(email: "ada@example.com", password: Self.password))
        let loggedOut = try engine.http.send("POST", "v1/logout/all", token: other)
        #expect(loggedOut.status == 200, "\(loggedOut.status) \(loggedOut.json)")
        let closed = try client.drainUntilClosed()
        #expect(closed.code == 1008, "closed as a policy violation")
        #expect(!closed.types.contains("session.ended"), "like any lost connection: nothing more is sent")

        // The session is stored, ended as disconnected, with its time charged.
        let stored = try eventually("the session is stored as ended") { () -> SessionListingSnapshot? in
            guard let session = try engine.store.session(id: sessionID, accountID: accountID)?.session,
                  session.endReason != nil else { return nil }
            return SessionListingSnapshot(endReason: session.endReason, billedMs: session.billedMs)
        }
        #expect(stored?.endReason == "disconnected")
        #expect((stored?.billedMs ?? 0) > 0)
    }

    struct SessionListingSnapshot {
        var endReason: String?
        var billedMs: Int64
    }
}

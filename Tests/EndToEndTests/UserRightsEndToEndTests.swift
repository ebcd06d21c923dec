import EngineClient
import Foundation
import Server
import Testing

/// History, export, correction and deletion over HTTP, and that no endpoint gives one account another's data.
@Suite struct UserRightsEndToEndTests {
    /// Runs a short text interview (one answer, then session.end) and returns its session id once it is stored.
    func interview(_ engine: TestEngine, token: String, answer: String = "At my last job I cut build times by 40%") throws -> String {
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try client.next("question")
        try client.send(json: ["type": "answer.text", "text": answer])
        try client.send(json: ["type": "answer.done"])
        _ = try client.next("question")
        try client.send(json: ["type": "session.end"])
        _ = try client.next("session.ended")
        _ = try engine.waitForSession(sessionID, token: token) { ($0["session"] as? [String: Any])?["end_reason"] != nil }
        return sessionID
    }

    func recording(_ engine: TestEngine, _ sessionID: String) throws -> URL {
        let file = try #require(RecordingFiles.file(forSession: sessionID, dataDirectory: engine.dataDirectory))
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("RIFF....WAVE".utf8).write(to: file)
        return file
    }

    @Test func historyShowsTranscriptsAndRecordingLinksAndDeletionRemovesBoth() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let withRecording = try interview(engine, token: token)
        let without = try interview(engine, token: token, answer: "I mentored two juniors")
        let file = try recording(engine, withRecording)

        let list = try #require(try engine.http.send("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]])
        #expect(Set(list.compactMap { $0["id"] as? String }) == [withRecording, without])
        let recorded = list.first { $0["id"] as? String == withRecording }
        let unrecorded = list.first { $0["id"] as? String == without }
        #expect(recorded?["recording_url"] as? String == "/v1/sessions/\(withRecording)/recording")
        #expect(unrecorded != nil && unrecorded?["recording_url"] == nil)

        let detail = try engine.http.send("GET", "v1/sessions/\(withRecording)", token: token).json
        #expect((detail["session"] as? [String: Any])?["recording_url"] as? String == "/v1/sessions/\(withRecording)/recording")
        #expect((detail["turns"] as? [[String: Any]])?.first?["answer_text"] as? String == "At my last job I cut build times by 40%")
        #expect(detail["summary"] != nil)

        let balanceBefore = try engine.balance(token)
        let deleted = try engine.http.send("DELETE", "v1/sessions/\(withRecording)", token: token)
        #expect(deleted.status == 200 && deleted.json["deleted"] as? Bool == true)
        #expect(!FileManager.default.fileExists(atPath: file.path))
        #expect(try engine.http.send("GET", "v1/sessions/\(withRecording)", token: token).status == 404)
        #expect(try engine.http.send("DELETE", "v1/sessions/\(withRecording)", token: token).status == 404)
        #expect(try engine.balance(token) == balanceBefore, "deleting history never refunds or charges")
        let remaining = try engine.http.send("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]]
        #expect(remaining?.compactMap { $0["id"] as? String } == [without])
    }

    @Test func aRunningSessionIsNotDeleted() throws {
        let engine = try TestEngine()
        let token = try engine.signUp()
        let client = try engine.connect(token: token)
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        let sessionID = try #require(try client.next("session.started")["session_id"] as? String)
        _ = try engine.waitForSession(sessionID, token: token) { _ in true }
        let refused = try engine.http.send("DELETE", "v1/sessions/\(sessionID)", token: token)
        #expect(refused.status == 409 && refused.errorCode == "session_running")
    }

    @Test func theExportHoldsEverythingAboutTheAccount() throws {
        let engine = try TestEngine()
        let (token, accountID) = try engine.signUpWithID("ada@example.com")
        let sessionID = try interview(engine, token: token)
        _ = try recording(engine, sessionID)
        let response = try engine.http.send("GET", "v1/export", token: token)
        #expect(response.status == 200)
        #expect(response.headers["content-disposition"]?.contains("jestry-export.json") == true)
        let export = response.json
        #expect(export["format"] as? String == "jestry.account-export" && export["version"] as? Int == 1)
        let account = try #require(export["account"] as? [String: Any])
        #expect(account["id"] as? String == accountID && account["email"] as? String == "ada@example.com")
        #expect(account["birth_date"] as? String == "1995-06-15" && account["password_hash"] == nil)
        let sessions = try #require(export["sessions"] as? [[String: Any]])
        #expect(sessions.count == 1)
        #expect((sessions.first?["session"] as? [String: Any])?["recording_url"] as? String == "/v1/sessions/\(sessionID)/recording")
        #expect((sessions.first?["turns"] as? [[String: Any]])?.first?["answer_text"] as? String != nil)
        let ledger = try #require(export["ledger"] as? [[String: Any]])
        #expect(ledger.first?["kind"] as? String == "trial")
        #expect(ledger.contains { $0["kind"] as? String == "usage" && $0["session_id"] as? String == sessionID })
        let signIns = try #require(export["sign_ins"] as? [[String: Any]])
        #expect(signIns.count == 1 && signIns.first?["token"] == nil && signIns.first?["token_hash"] == nil)
        #expect(!String(decoding: response.body, as: UTF8.self).contains(token))
        #expect(export["payments"] as? [Any] != nil)
    }

    @Test func deletingTheAccountNeedsThePasswordAndRemovesEverything() throws {
        let engine = try TestEngine()
        let (token, accountID) = try engine.signUpWithID("ada@example.com")
        let bob = try engine.signUp("bob@example.com")
        let sessionID = try interview(engine, token: token)
        let bobsSession = try interview(engine, token: bob)
        let file = try recording(engine, sessionID)
        let bobsFile = try recording(engine, bobsSession)

        #expect(try engine.http.send("DELETE", "v1/account", body: ["password": "wrong password"], token: token).status == 403)
        #expect(try engine.http.send("DELETE", "v1/account", body: ["password": "a long test password"]).status == 401)
        #expect(try engine.http.send("DELETE", "v1/account", body: ["password": "a long test password"], token: bob).status == 200,
                "Bob deletes his own account, not Ada's")
        #expect(try engine.http.send("GET", "v1/me", token: token).status == 200)
        #expect(FileManager.default.fileExists(atPath: file.path))
        #expect(!FileManager.default.fileExists(atPath: bobsFile.path))

        let deleted = try engine.http.send("DELETE", "v1/account", body: ["password": "a long test password"], token: token)
        #expect(deleted.status == 200 && deleted.json["sessions_deleted"] as? Int == 1)
        #expect(deleted.headers["set-cookie"]?.contains("Max-Age=0") == true)
        #expect(!FileManager.default.fileExists(atPath: file.path))
        #expect(try engine.http.send("GET", "v1/me", token: token).status == 401)
        #expect(try engine.http.login(email: "ada@example.com", password: "a long test password") == nil)
        #expect(try engine.store.exportData(accountID: accountID) == nil)
        #expect(try engine.store.session(id: sessionID, accountID: accountID) == nil)
        // The email is free again.
        #expect(try engine.http.send("POST", "v1/accounts", body: ["name": "Ada", "email": "ada@example.com",
                                                                   "password": "a long test password", "birth_date": "1990-01-01"]).status == 201)
    }

    /// Every endpoint that needs a sign-in refuses without one, and gives one account nothing of another's.
    @Test func everyEndpointKeepsAccountsApart() throws {
        let engine = try TestEngine()
        let (ada, adaID) = try engine.signUpWithID("ada@example.com")
        let (eve, _) = try engine.signUpWithID("eve@example.com")
        let session = try interview(engine, token: ada)
        let file = try recording(engine, session)

        let signedIn: [(String, String, [String: Any]?)] = [
            ("GET", "v1/me", nil), ("PATCH", "v1/me", ["name": "x"]), ("GET", "v1/sessions", nil),
            ("GET", "v1/sessions/\(session)", nil), ("DELETE", "v1/sessions/\(session)", nil), ("GET", "v1/export", nil),
            ("GET", "v1/billing/ledger", nil), ("POST", "v1/logout", nil), ("POST", "v1/logout/all", nil),
            ("DELETE", "v1/account", ["password": "a long test password"]),
        ]
        for (method, path, body) in signedIn {
            for token in [nil, "forged-token", "' OR '1'='1"] as [String?] {
                let response = try engine.http.send(method, path, body: body, token: token)
                #expect(response.status == 401 && response.errorCode == "unauthorized", "\(method) \(path) without a valid token")
            }
        }

        // Eve, signed in, asks for Ada's session by id: the same 404 as for a session that never existed.
        let peek = try engine.http.send("GET", "v1/sessions/\(session)", token: eve)
        let never = try engine.http.send("GET", "v1/sessions/00000000000000000000000000000000", token: eve)
        #expect(peek.status == 404 && never.status == 404 && peek.errorCode == never.errorCode)
        #expect(!String(decoding: peek.body, as: UTF8.self).contains("behavioural"))
        #expect(try engine.http.send("DELETE", "v1/sessions/\(session)", token: eve).status == 404)
        #expect(FileManager.default.fileExists(atPath: file.path), "Eve's delete removed nothing")
        let eveSessions = try engine.http.send("GET", "v1/sessions", token: eve).json["sessions"] as? [Any]
        #expect(eveSessions?.isEmpty == true)
        let eveExport = String(decoding: try engine.http.send("GET", "v1/export", token: eve).body, as: UTF8.self)
        #expect(!eveExport.contains(adaID) && !eveExport.contains(session) && !eveExport.contains("ada@example.com"))
        let eveLedger = try engine.http.send("GET", "v1/billing/ledger", token: eve).json["entries"] as? [[String: Any]]
        #expect(eveLedger?.count == 1, "only Eve's trial")
        #expect(try engine.http.send("GET", "v1/sessions/\(session)", token: ada).status == 200)
        // Ada can still read her session: nothing Eve did changed it.
        #expect(try engine.store.session(id: session, accountID: adaID) != nil)
    }
}

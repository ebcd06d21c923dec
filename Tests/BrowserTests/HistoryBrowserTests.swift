import EngineClient
import Foundation
import Testing

extension BrowserTests {
    @Suite struct History {
        static let storedAnswer = "At my last job I led the migration of 40 services to a new cluster. As a result, deploys went from an hour to 5 minutes."

        /// A short typed interview played over the WebSocket by a plain client, so the history has something in it.
        static func playShortInterview(_ engine: BrowserEngine, token: String) throws {
            let client = try WebSocketClient(url: engine.interviewURL, headers: [("Authorization", "Bearer \(token)")])
            defer { client.shutdown() }
            func send(_ json: [String: Any]) throws {
                client.send(text: String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
            }
            func next(_ type: String) throws {
                for _ in 0..<100 {
                    guard case .text(let text) = try client.receive(timeout: 10) else { continue }
                    let event = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
                    if event?["type"] as? String == type { return }
                }
                throw BrowserTestFailure("no \(type) event arrived")
            }
            try send(["type": "session.start", "track": "behavioural", "mode": "text"])
            try next("question")
            try send(["type": "answer.text", "text": storedAnswer])
            try send(["type": "answer.done"])
            try next("question")
            try send(["type": "session.end"])
            try next("session.ended")
        }

        @Test func theHistoryListsAnInterviewShowsItAndDeletesIt() async throws {
            try await BrowserHarness.run { page in
                let email = try page.engine.createAccount()
                let token = try page.engine.token(email: email)
                try Self.playShortInterview(page.engine, token: token)
                try await page.waitForEngine("the interview to be stored as ended") {
                    let list = try page.engine.json("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]]
                    return list?.first?["end_reason"] as? String == "client_ended"
                }
                let sessionID = try #require((try page.engine.json("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]])?.first?["id"] as? String)

                try await page.signInThroughTheForm(email: email)
                try await page.click("[data-nav=history]")
                try await page.waitForElement("[data-testid=history-table]")
                let rows = try await page.browser.execute("return document.querySelectorAll('[data-testid=history-table] tbody tr').length") as? Int
                #expect(rows == 1)
                let row = try await page.text("[data-testid=history-table] tbody tr")
                #expect(row.contains("Behavioural interview (STAR)"))
                #expect(row.contains("Text"))
                #expect(row.contains("Ended by you"))
                #expect(row.range(of: #"20\d\d"#, options: .regularExpression) != nil, "no date in \(row)")
                let duration = try await page.text("[data-testid=session-duration]")
                #expect(duration.range(of: #"^\d+ s$|^\d+ min"#, options: .regularExpression) != nil, "duration was \(duration)")
                // The score comes from the session's report, when the engine writes one.
                let score = try await page.waitUntil("the score to load",
                    "const t = document.querySelector('[data-testid=session-score]').innerText.trim(); return t === '…' ? null : t;") as? String ?? ""
                let report = try page.engine.json("GET", "v1/sessions/\(sessionID)", token: token).json["report"] as? [String: Any]
                if let overall = report?["overall"] as? Int {
                    #expect(score == "\(overall)/100")
                } else {
                    #expect(score.hasPrefix("—"), "score was \(score)")
                }
                try await page.screenshot("history")

                // One interview: transcript, summary and what the page can say about recording and report.
                try await page.click("[data-testid=session-link]")
                try await page.waitForText("[data-testid=session-transcript]", containing: Self.storedAnswer)
                #expect(try await page.currentRoute() == "#/history/\(sessionID)")
                #expect(try await page.text("[data-testid=summary-text]").contains("You answered"))
                #expect(try await page.text("[data-testid=recording]") == "Typed interviews have no recording.")
                try await page.waitUntil("the report section to settle",
                    "return document.querySelector('[data-testid=report]')?.innerText.split('\\n').length > 1")
                let transcript = try await page.text("[data-testid=session-transcript]")
                #expect(transcript.contains("✓ Result"))
                #expect(transcript.contains("uses numbers"))
                try await page.screenshot("session-detail")

                // Deleting asks first; what the page then says must match what the engine did.
                try await page.click("[data-testid=delete-session]")
                try await page.waitForText("dialog[open]", containing: "cannot be undone")
                try await page.confirmDialog()
                let deletion = try await page.waitUntil("the deletion to finish", """
                    if (location.hash === '#/history' && document.querySelector('#notice-area').innerText.includes('deleted')) return 'deleted';
                    if (document.querySelector('[data-testid=session-status]')?.innerText.includes('cannot delete interviews yet')) return 'unavailable';
                    return null;
                    """) as? String
                let afterwards = try page.engine.json("GET", "v1/sessions/\(sessionID)", token: token)
                if deletion == "deleted" {
                    #expect(afterwards.status == 404)
                    try await page.waitForElement("[data-testid=history-empty]")
                } else {
                    #expect(afterwards.status == 200)
                    let refused = try page.engine.json("DELETE", "v1/sessions/\(sessionID)", token: token).status
                    #expect(refused == 404 || refused == 405, "the page said deletion is unavailable, but DELETE answered \(refused)")
                }
            }
        }

        @Test func exportAndAccountDeletionSayWhatTheEngineDid() async throws {
            try await BrowserHarness.run { page in
                let email = try page.engine.createAccount()
                let token = try page.engine.token(email: email)
                try Self.playShortInterview(page.engine, token: token)
                try await page.signInThroughTheForm(email: email)
                try await page.click("[data-nav=account]")
                try await page.waitForText("main", containing: email)

                try await page.click("[data-testid=export-data]")
                let exported = try await page.waitUntil("the export to finish",
                    "const o = document.querySelector('[data-testid=export-status]').dataset.outcome; return o === 'done' || o === 'unavailable' ? o : null;") as? String
                let exportStatus = try page.engine.json("GET", "v1/export", token: token).status
                if exported == "done" {
                    #expect(exportStatus == 200)
                    #expect(try await page.text("[data-testid=export-status]").contains("downloading"))
                } else {
                    #expect(exportStatus == 404 || exportStatus == 405)
                    #expect(try await page.text("[data-testid=export-status]").contains("cannot export data yet"))
                }

                // The minute history shows the ledger when the engine serves it, and says so when it does not.
                try await page.click("[data-nav=minutes]")
                try await page.waitUntil("the minute history", "return document.querySelector('[data-testid=minute-history]')?.innerText.includes('Loading') === false")
                let history = try await page.text("[data-testid=minute-history]")
                if try page.engine.json("GET", "v1/billing/ledger", token: token).status == 200 {
                    #expect(history.contains("Trial minutes"), "minute history: \(history)")
                } else {
                    #expect(history.contains("does not show a minute history yet"))
                }
                #expect(try await page.text("[data-testid=minutes-balance]") == (try await page.text("#balance-value")))
                try await page.screenshot("minutes")

                // A wrong password deletes nothing.
                try await page.click("[data-nav=account]")
                try await page.waitForElement("[data-testid=delete-account]")
                try await page.click("[data-testid=delete-account]")
                try await page.type("dialog[open] input", "not my password")
                try await page.confirmDialog()
                try await page.waitForText("[data-testid=delete-account-status]", containing: "nothing was deleted")
                #expect(try page.engine.token(email: email).isEmpty == false)
                try await page.screenshot("account")

                try await page.click("[data-testid=delete-account]")
                try await page.type("dialog[open] input", BrowserEngine.password)
                try await page.confirmDialog()
                let deleted = try await page.waitUntil("the account deletion to finish", """
                    if (location.hash === '#/signup') return 'deleted';
                    return document.querySelector('[data-testid=delete-account-status]')?.dataset.outcome === 'unavailable' ? 'unavailable' : null;
                    """) as? String
                if deleted == "deleted" {
                    #expect(try page.engine.http.login(email: email, password: BrowserEngine.password) == nil)
                    #expect(try await page.text("#notice-area").contains("deleted"))
                } else {
                    #expect(try await page.text("[data-testid=delete-account-status]").contains("cannot delete accounts yet"))
                    let refused = try page.engine.http.send("DELETE", "v1/account", body: ["password": BrowserEngine.password], token: token).status
                    #expect(refused == 404 || refused == 405, "the page said deletion is unavailable, but DELETE /v1/account answered \(refused)")
                    #expect(try page.engine.http.login(email: email, password: BrowserEngine.password) != nil)
                }
            }
        }
    }
}

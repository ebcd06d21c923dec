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
                // The listing's score is the report's overall score.
                let score = try await page.text("[data-testid=session-score]")
                let detail = try page.engine.json("GET", "v1/sessions/\(sessionID)", token: token).json
                let overall = try #require((detail["report"] as? [String: Any])?["overall"] as? Int)
                #expect(score == "\(overall)/100")
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

                // Deleting asks first; then the interview is gone, from the page and from the engine.
                try await page.click("[data-testid=delete-session]")
                try await page.waitForText("dialog[open]", containing: "cannot be undone")
                try await page.confirmDialog()
                try await page.waitForText("#notice-area", containing: "The interview was deleted.")
                #expect(try await page.currentRoute() == "#/history")
                try await page.waitForElement("[data-testid=history-empty]")
                #expect(try page.engine.json("GET", "v1/sessions/\(sessionID)", token: token).status == 404)
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
                try await page.waitForText("[data-testid=export-status]", containing: "Your export is downloading: jestry-export.json")
                #expect(try await page.attribute("[data-testid=export-status]", "data-outcome") == "done")

                // The minute history shows the ledger: the trial minutes, then the interview's usage.
                try await page.click("[data-nav=minutes]")
                try await page.waitUntil("the minute history", "return document.querySelector('[data-testid=minute-history]')?.innerText.includes('Loading') === false")
                let history = try await page.text("[data-testid=minute-history]")
                #expect(history.contains("Trial minutes"), "minute history: \(history)")
                #expect(history.contains("Interview"), "minute history: \(history)")
                #expect(try await page.text("[data-testid=minutes-balance]") == (try await page.text("#balance-value")))
                try await page.screenshot("minutes")

                // A wrong password deletes nothing.
                page.expectConsoleError("/v1/account - Failed to load resource: the server responded with a status of 403")
                try await page.click("[data-nav=account]")
                try await page.waitForElement("[data-testid=delete-account]")
                try await page.click("[data-testid=delete-account]")
                try await page.type("dialog[open] input", "not my password")
                try await page.confirmDialog()
                try await page.waitForText("[data-testid=delete-account-status]", containing: "That password is not right, so nothing was deleted.")
                #expect(try page.engine.token(email: email).isEmpty == false)
                try await page.screenshot("account")

                try await page.click("[data-testid=delete-account]")
                try await page.type("dialog[open] input", BrowserEngine.password)
                try await page.confirmDialog()
                try await page.waitUntil("the account deletion to finish", "return location.hash === '#/signup'")
                #expect(try await page.text("#notice-area").contains("Your account and all its data were deleted."))
                #expect(try page.engine.http.login(email: email, password: BrowserEngine.password) == nil)
            }
        }
    }
}

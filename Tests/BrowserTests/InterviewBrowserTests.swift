import Foundation
import Testing

extension BrowserTests {
    @Suite struct Interviews {
        @Test func aVoiceInterviewWithTheFakeMicrophoneShowsQuestionsCoachingAndTypedAnswers() async throws {
            try await BrowserHarness.run { page in
                let email = try page.engine.createAccount()
                try await page.signInThroughTheForm(email: email)

                // The microphone check before the clock starts: the meter moves with the spoken WAV.
                try await page.click("input[name=mode][value=voice] + label")
                try await page.click("input[name=record]")
                try await page.click("[data-testid=check-mic]")
                let heard = try await page.waitForText("[data-testid=mic-status]", containing: "We can hear you")
                #expect(heard.contains("Echo cancellation is on"))
                let level = try await page.waitUntil("the level meter to move",
                    "const v = Number(document.querySelector('[data-testid=mic-level]').getAttribute('aria-valuenow')); return v > 0 ? v : null;")
                #expect((level as? Int ?? 0) > 0)
                try await page.screenshot("practice-setup")

                try await page.startInterview(mode: "voice")
                try await page.recordEngineEvents()
                let firstQuestion = try await page.text("[data-testid=question-text]")
                #expect(try await page.text("[data-testid=question-progress]") == "Question 1 of 9")
                #expect(try await page.text("[data-testid=transcript]").contains(firstQuestion))

                // PCM frames reach the engine: the coaching shows the audio it counted, and the timer runs.
                try await page.waitUntil("the engine to count audio",
                    "return parseFloat(document.querySelector('[data-testid=audio-sent]').innerText) > 0.5")
                try await page.waitUntil("the answer timer to run", "return document.querySelector('[data-testid=timer]').innerText !== '0:00'")
                let status = try await page.text("[data-testid=status]")
                #expect(["Your turn", "Listening", "Interviewer speaking"].contains(status), "status was \(status)")

                // Typing works in a voice interview too, and the coaching follows the words.
                try await page.answerByTyping("Um, when I was at my last job our team had to ship a billing service in six weeks, and I was responsible for the data model.")
                try await page.waitForText("[data-testid=filler-count]", containing: "1")
                #expect(try await page.text("[data-testid=filler-detail]").contains("“um” ×1"))
                try await page.waitUntil("the word count", "return Number(document.querySelector('[data-testid=word-count]').innerText) >= 20")
                #expect(try await page.attribute("[data-star=situation]", "data-covered") == "true")
                #expect(try await page.attribute("[data-star=task]", "data-covered") == "true")
                #expect(try await page.attribute("[data-star=result]", "data-covered") == "false")
                try await page.expectTheEnginesTip()
                try await page.expectAccessible("a voice interview")
                try await page.screenshot("interview-voice")

                // Finishing the answer brings the next question (a follow-up for this short answer).
                try await page.click("[data-testid=finish-answer]")
                try await page.waitUntil("the next question",
                    "return document.querySelector('[data-testid=question-text]').innerText.trim() !== arguments[0]", [firstQuestion])
                #expect(try await page.text("[data-testid=question-progress]").hasPrefix("Question 1 of 9 · follow-up"))
                #expect(try await page.text("[data-testid=word-count]") == "0")

                try await page.click("[data-testid=end-interview]")
                try await page.confirmDialog()
                try await page.waitForElement("[data-testid=end-screen]")
                #expect(try await page.attribute("[data-testid=end-screen]", "data-reason") == "client_ended")
                #expect(try await page.text("[data-testid=end-screen]").contains("You ended the interview"))
                #expect(try await page.text("[data-testid=summary-text]").contains("You answered 1 of 2 questions"))
                try await page.screenshot("interview-end")

                // What the engine stored matches what the page showed.
                let link = try #require(try await page.attribute("[data-testid=view-session]", "href"))
                let sessionID = String(link.dropFirst("#/history/".count))
                let token = try page.engine.token(email: email)
                var stored = (status: 0, json: [String: Any]())
                try await page.waitForEngine("the session to be stored as ended") {
                    stored = try page.engine.json("GET", "v1/sessions/\(sessionID)", token: token)
                    return (stored.json["session"] as? [String: Any])?["end_reason"] as? String == "client_ended"
                }
                let session = try #require(stored.json["session"] as? [String: Any])
                #expect(session["mode"] as? String == "voice")
                let turns = try #require(stored.json["turns"] as? [[String: Any]])
                #expect(turns.first?["text"] as? String == firstQuestion)
                #expect((turns.first?["answer_text"] as? String)?.contains("billing service") == true)
                #expect((turns.first?["audio_ms"] as? Int ?? 0) > 0)
                #expect(turns.count == 2)

                // The session's page offers the recording exactly when the engine kept one (the candidate consented).
                try await page.click("[data-testid=view-session]")
                try await page.waitForElement("[data-testid=recording]")
                if let recording = session["recording_url"] as? String {
                    try await page.waitForElement("[data-testid=recording] audio")
                    #expect(try await page.attribute("[data-testid=recording] audio", "src") == recording)
                    let header = try await page.browser.executeAsync("""
                        const done = arguments[arguments.length - 1];
                        fetch(arguments[0]).then(async (r) => done([r.status, new TextDecoder().decode((await r.arrayBuffer()).slice(0, 4))]), () => done(null));
                        """, [recording]) as? [Any]
                    #expect(header?.first as? Int == 200)
                    #expect(header?.last as? String == "RIFF")
                } else {
                    #expect(try await page.text("[data-testid=recording]").contains("not recorded"))
                }
            }
        }

        @Test func runningOutOfMinutesWarnsFirstThenEndsWithAWayToBuyMore() async throws {
            // 12 seconds of trial time: below the one-minute warning from the start.
            try await BrowserHarness.run(trialMinutes: 0.2) { page in
                let email = try page.engine.createAccount()
                try await page.signInThroughTheForm(email: email)
                #expect(try await page.text("#balance-value") == "12 s")
                try await page.startInterview(mode: "text")

                let warning = try await page.waitForText("[data-testid=billing-warning]", containing: "Less than a minute")
                #expect(warning.contains("Buy more minutes"))
                #expect(try await page.attribute(".remaining", "data-low") == "true")
                try await page.answerByTyping("At my last job our team disagreed about how to release.")
                try await page.waitUntil("the minutes to count down", "return /^0:(0\\d|1[01])$/.test(document.querySelector('[data-testid=remaining]').innerText)")

                try await page.waitForElement("[data-testid=end-screen]", timeout: 45)
                #expect(try await page.attribute("[data-testid=end-screen]", "data-reason") == "balance_exhausted")
                let end = try await page.text("[data-testid=end-screen]")
                #expect(end.contains("You have run out of minutes"))
                #expect(end.contains("Buy more minutes"))
                #expect(try await page.text("[data-testid=transcript]").contains("disagreed about how to release"))
                try await page.waitForText("#balance-value", containing: "0 min")
                try await page.expectAccessible("out of minutes")
                try await page.screenshot("out-of-minutes")

                // With no minutes, a new interview cannot start, and the page says how to get more.
                try await page.click("[data-nav=practice]")
                try await page.waitForElement("[data-testid=no-minutes]")
                #expect(try await page.browser.execute("return document.querySelector('[data-testid=start-interview]').disabled") as? Bool == true)
                #expect(try await page.text("[data-testid=no-minutes]").contains("Buy more minutes"))
                try await page.expectAccessible("practice with no minutes")

                let token = try page.engine.token(email: email)
                #expect(try page.engine.json("GET", "v1/me", token: token).json["balance_ms"] as? Int == 0)
                try await page.waitForEngine("the session to be stored as out of minutes") {
                    let sessions = try page.engine.json("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]]
                    return sessions?.first?["end_reason"] as? String == "balance_exhausted"
                }
            }
        }

        @Test func aConnectionThatDropsMidAnswerIsResumedAndTheAnswerGoesOn() async throws {
            // The production grace period: the page is back long before it runs out.
            try await BrowserHarness.run { page in
                let email = try page.engine.createAccount()
                try await page.signInThroughTheForm(email: email)
                try await page.startInterview(mode: "text")
                let question = try await page.text("[data-testid=question-text]")
                try await page.answerByTyping("We had six weeks to ship the billing service.")
                try await page.waitUntil("the engine to count the words", "return Number(document.querySelector('[data-testid=word-count]').innerText) === 9")

                // The network breaks under the page in the middle of the answer (the engine sees the connection go).
                try await page.browser.execute("window.jestry.view.socket.simulateDrop()")
                try await page.waitForText("[data-testid=connection-banner]", containing: "Reconnected: your interview continues.")
                #expect(try await page.text("[data-testid=status]") == "Your turn")
                #expect(try await page.text("[data-testid=question-text]") == question)
                #expect(try await page.browser.execute("return document.querySelectorAll('[data-testid=transcript] .turn').length") as? Int == 1)

                // The answer carries on where it was: the engine joins both halves into one answer.
                try await page.answerByTyping("I wrote the plan.")
                try await page.waitUntil("the engine to count both halves", "return Number(document.querySelector('[data-testid=word-count]').innerText) === 13")

                // It drops again: each resume token takes the session back once, so this needs the one the first
                // resume gave.
                let firstResume = try await page.browser.execute("return window.jestry.view.state.resumedAt") as? Double
                try await page.browser.execute("window.jestry.view.socket.simulateDrop()")
                try await page.waitUntil("the second resume",
                    "const s = window.jestry.view.state; return s.connection === 'resumed' && s.resumedAt > arguments[0]", [firstResume ?? 0])
                try await page.click("[data-testid=finish-answer]")
                try await page.waitUntil("the next question",
                    "return document.querySelector('[data-testid=question-text]').innerText.trim() !== arguments[0]", [question])

                let token = try page.engine.token(email: email)
                var stored: [[String: Any]] = []
                try await page.waitForEngine("the answer to be stored") {
                    let sessions = try page.engine.json("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]] ?? []
                    guard sessions.count == 1, let id = sessions.first?["id"] as? String else { return false }
                    stored = try page.engine.json("GET", "v1/sessions/\(id)", token: token).json["turns"] as? [[String: Any]] ?? []
                    return stored.first?["answer_complete"] as? Bool == true
                }
                #expect(stored.first?["answer_text"] as? String == "We had six weeks to ship the billing service. I wrote the plan.")
                let sessions = try page.engine.json("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]]
                #expect(sessions?.count == 1, "the resumed interview is still the one session")

                try await page.click("[data-testid=end-interview]")
                try await page.confirmDialog()
                try await page.waitForElement("[data-testid=end-screen]")
                #expect(try await page.text("[data-testid=summary-text]").contains("You answered 1 of 2 questions"))
            }
        }

        @Test func aConnectionGoneLongerThanTheGracePeriodEndsTheInterviewAndOffersAFreshStart() async throws {
            // This test is about the grace period, so it sets one: a second, and the engine gives the session up.
            try await BrowserHarness.run(resumeGraceSeconds: 1) { page in
                let email = try page.engine.createAccount()
                try await page.signInThroughTheForm(email: email)
                try await page.startInterview(mode: "text")
                try await page.answerByTyping("We had six weeks to ship the billing service.")
                try await page.waitUntil("the engine to count the words", "return Number(document.querySelector('[data-testid=word-count]').innerText) === 9")

                // The network breaks and stays away: the page's next attempt waits until the browser is back online.
                try await page.browser.execute("""
                    const socket = window.jestry.view.socket;
                    socket.reconnectDelaysMs = [600000];
                    socket.simulateDrop();
                    """)
                try await page.waitForText("[data-testid=connection-banner]", containing: "Reconnecting")
                #expect(try await page.text("[data-testid=status]") == "Reconnecting…")
                let token = try page.engine.token(email: email)
                try await page.waitForEngine("the engine to give the session up") {
                    let stored = try page.engine.json("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]]
                    return stored?.first?["end_reason"] as? String == "disconnected"
                }

                // Back online, the page asks for the session and learns it is gone.
                try await page.browser.execute("window.dispatchEvent(new Event('online'))")
                try await page.waitForText("[data-testid=connection-banner]", containing: "gone too long")
                #expect(try await page.text("[data-testid=status]") == "Connection lost")
                #expect(try await page.text("[data-testid=transcript]").contains("We had six weeks to ship the billing service."))
                #expect(try await page.text("[data-testid=transcript] .turn__note") == "The answer was cut off.")
                try await page.expectAccessible("a lost interview")
                try await page.screenshot("connection-lost")

                try await page.click("[data-testid=start-again]")
                try await page.waitForText("[data-testid=transcript]", containing: "A new interview started")
                try await page.waitUntil("the new session's question", "return document.querySelector('[data-testid=status]').innerText === 'Your turn'")
                try await page.answerByTyping("I wrote the plan.")
                // The earlier transcript is still there above the new interview.
                #expect(try await page.text("[data-testid=transcript]").contains("We had six weeks to ship the billing service."))
                try await page.waitForEngine("a second session") {
                    (try page.engine.json("GET", "v1/sessions", token: token).json["sessions"] as? [[String: Any]])?.count == 2
                }
                try await page.click("[data-testid=end-interview]")
                try await page.confirmDialog()
                try await page.waitForElement("[data-testid=end-screen]")
            }
        }
    }
}

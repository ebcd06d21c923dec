import Foundation
import Server
import Testing
import TestSupport

extension BrowserTests {
    /// A session with the model interviewer (the scripted stand-in model): what the candidate sees of the model.
    @Suite struct ModelInterviewer {
        static let written = #"{"summary":"You named the deadline and your own part clearly.","practise":"#
            + #"["Give one number for the result.","Say what you would change next time.","Keep the setting to one sentence."]}"#

        @Test func theEndScreenShowsTheInterviewersNotesWhenTheyFollowAndTheHistoryKeepsThem() async throws {
            let model = try StandInModelServer { _, request in
                switch request.schemaName {
                // A second after session.ended, as a real model would take a while.
                case "session_report": .stream([Self.written], firstDelay: 1)
                default: .status(500)  // the template's own follow-ups, and the rules' scores
                }
            }
            defer { model.stop() }
            try await BrowserHarness.run(model: ModelProviderConfiguration(url: model.url, key: nil, name: "stand-in-model")) { page in
                let email = try page.engine.createAccount()
                try await page.signInThroughTheForm(email: email)
                try await page.startInterview(mode: "text")
                let question = try await page.text("[data-testid=question-text]")
                try await page.answerByTyping("We had six weeks to ship the billing service, so I wrote the plan and we shipped in five.")
                try await page.click("[data-testid=finish-answer]")
                try await page.waitUntil("the next question",
                    "return document.querySelector('[data-testid=question-text]').innerText.trim() !== arguments[0]", [question])
                try await page.click("[data-testid=end-interview]")
                try await page.confirmDialog()
                try await page.waitForElement("[data-testid=end-screen]")

                // The rules' report at once, then the interviewer's notes in their polite slot.
                try await page.waitForText("[data-testid=written-summary]", containing: "You named the deadline and your own part clearly.")
                let practise = try await page.text("[data-testid=written-practise]")
                #expect(practise.contains("Give one number for the result."))
                #expect(practise.contains("Keep the setting to one sentence."))
                #expect(try await page.attribute("[data-testid=written-report-slot]", "aria-live") == "polite")
                try await page.expectAccessible("the end screen with the interviewer's notes")
                #expect(model.requests.contains { $0.schemaName == "session_report" })

                // Stored with the session: the history shows them too.
                try await page.click("[data-testid=view-session]")
                try await page.waitForText("[data-testid=written-summary]", containing: "You named the deadline and your own part clearly.")
            }
        }
    }
}

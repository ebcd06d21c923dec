import Foundation
import TestSupport
import Testing

extension BrowserTests {
    /// With the local transcriber beside the engine, the words the candidate sees come from the engine: the fake
    /// microphone's spoken answer shows up in the transcript, and the browser's own recogniser is not used.
    @Suite struct EngineTranscripts {
        @Test func theTranscriptShownComesFromTheEngine() async throws {
            let transcriber = try LocalService.transcriber()
            defer { transcriber.stop() }
            try await BrowserHarness.run(speechToTextURL: transcriber.url) { page in
                let email = try page.engine.createAccount()
                try await page.signInThroughTheForm(email: email)
                try await page.startInterview(mode: "voice")
                let status = try await page.waitForText("[data-testid=recognition-status]", containing: "transcribed by the interview server")
                #expect(!status.contains("browser’s speech recognition"))
                // The fake microphone says "…ship a billing service in six weeks…": the engine's words appear.
                try await page.waitUntil("the engine's transcript of the spoken answer", timeout: 60,
                    "return /billing|data model|schema/i.test(document.querySelector('[data-testid=transcript]').innerText)")
            }
        }
    }
}

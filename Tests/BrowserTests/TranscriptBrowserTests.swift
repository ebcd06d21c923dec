import Foundation
import Testing

extension BrowserTests {
    /// With the local transcriber beside the engine, the words the candidate sees come from the engine: the fake
    /// microphone's spoken answer shows up in the transcript, and the browser's own recogniser is not used.
    @Suite struct EngineTranscripts {
        @Test func theTranscriptShownComesFromTheEngine() async throws {
            let transcriber = try BrowserTranscriber()
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

/// services/transcriber from its cached virtualenv on a free loopback port (as in the end-to-end tests).
final class BrowserTranscriber {
    let process = Process()
    private(set) var port = 0

    init() throws {
        let environment = ProcessInfo.processInfo.environment
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var python = environment["JESTRY_TRANSCRIBER_PYTHON"]
        if python == nil {
            let sum = Process()
            sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            sum.arguments = [repository.appendingPathComponent("services/transcriber/requirements.txt").path]
            let output = Pipe()
            sum.standardOutput = output
            try sum.run()
            sum.waitUntilExit()
            let hash = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(16)
            let cache = environment["JESTRY_CACHE"]
                ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/jestry").path
            python = "\(cache)/venv-transcriber-\(hash)/bin/python"
        }
        let executable = python ?? ""
        try #require(FileManager.default.isExecutableFile(atPath: executable),
                     "no transcriber virtualenv at \(executable): run `make test` (it creates it)")
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [repository.appendingPathComponent("services/transcriber/server.py").path,
                             "--port", "0", "--log-level", "warning"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // Bounded wait for the line that says the model is loaded and the port open.
        let reader = output.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(120)
        while port == 0, Date() < deadline, process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last ?? "") ?? 0
            }
        }
        if port == 0 { stop() }
        try #require(port > 0, "the local transcriber did not start")
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

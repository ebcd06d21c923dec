import Foundation
import Testing
import TestSupport

extension BrowserTests {
    @Suite struct Video {
        /// What ffprobe (Debian's ffmpeg) finds in a stored video: the kinds of its streams, and its duration as the
        /// container says it (nil until the engine has indexed the finished video: MediaRecorder writes none).
        static func probe(_ file: URL) throws -> (streams: [String], seconds: Double?) {
            let ffprobe = "/usr/bin/ffprobe"
            guard FileManager.default.isExecutableFile(atPath: ffprobe) else {
                throw BrowserTestFailure("\(ffprobe) is missing: `make test` installs Debian's ffmpeg")
            }
            func run(_ arguments: [String]) throws -> String {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: ffprobe)
                process.arguments = ["-v", "error"] + arguments + [file.path]
                let output = Pipe()
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                try process.run()
                let data = PipeReading.toEnd(output.fileHandleForReading)
                process.waitUntilExit()
                guard process.terminationStatus == 0 else { throw BrowserTestFailure("ffprobe could not read \(file.path)") }
                return String(decoding: data, as: UTF8.self)
            }
            let streams = try run(["-show_entries", "stream=codec_type", "-of", "csv=p=0"])
                .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            let duration = try run(["-show_entries", "format=duration", "-of", "csv=p=0"])
            return (streams, Double(duration.trimmingCharacters(in: .whitespacesAndNewlines)))
        }

        @Test func withoutConsentNothingOfTheCameraLeavesTheBrowser() async throws {
            try await BrowserHarness.run { page in
                let email = try page.engine.createAccount()
                try await page.signInThroughTheForm(email: email)
                try await page.click("[data-testid=camera-toggle]")
                try await page.waitUntil("the self view", "return document.querySelector('[data-testid=self-view]')?.videoWidth > 0")
                try await page.startInterview(mode: "text")
                try await page.waitForText("[data-testid=video-status]", containing: "not recorded")
                try await page.waitUntil("the room's self view", "return document.querySelector('.camera-panel [data-testid=self-view]')?.videoWidth > 0")
                try await page.answerByTyping("I split the release into two and shipped the first half a week early.")
                try await page.click("[data-testid=end-interview]")
                try await page.confirmDialog()
                try await page.waitForElement("[data-testid=end-screen]")
                let requests = try await page.browser.execute(
                    "return performance.getEntriesByType('resource').map((entry) => entry.name).filter((name) => name.includes('/v1/sessions/') && (name.endsWith('/video') || name.includes('/video/')))") as? [Any]
                #expect(requests?.isEmpty == true, "requests for the video: \(requests ?? [])")
                let link = try #require(try await page.attribute("[data-testid=view-session]", "href"))
                let sessionID = String(link.dropFirst("#/history/".count))
                let detail = try page.engine.json("GET", "v1/sessions/\(sessionID)", token: try page.engine.token(email: email)).json
                #expect(detail["video"] == nil && (detail["session"] as? [String: Any])?["video_url"] == nil)
                #expect(!FileManager.default.fileExists(atPath: page.engine.dataDirectory.appendingPathComponent("recordings/\(sessionID).webm").path))
            }
        }

        @Test func theCameraIsRecordedWithConsentAndTheHistoryPlaysItBesideTheTranscript() async throws {
            try await BrowserHarness.run { page in
                let email = try page.engine.createAccount()
                try await page.signInThroughTheForm(email: email)

                // Off by default; on, the self view is the fake camera, mirrored; recording needs its own consent.
                #expect(try await page.attribute("[data-testid=camera-toggle]", "aria-pressed") == "false")
                #expect(try await page.browser.execute("return document.querySelector('input[name=record-video]').disabled") as? Bool == true)
                try await page.click("input[name=mode][value=voice] + label")
                try await page.click("[data-testid=camera-toggle]")
                try await page.waitUntil("the self view to show the camera",
                    "const v = document.querySelector('[data-testid=self-view]'); return v && v.videoWidth > 0 && !v.closest('[hidden]')")
                let transform = try await page.browser.execute("return getComputedStyle(document.querySelector('[data-testid=self-view]')).transform") as? String
                #expect(transform?.hasPrefix("matrix(-1") == true, "the self view is mirrored: \(transform ?? "")")
                try await page.click("input[name=record-video]")
                try await page.expectAccessible("the practice setup with the camera on")

                try await page.startInterview(mode: "voice")
                try await page.waitForElement("[data-testid=video-status][data-state=uploading]")
                try await page.waitUntil("a few seconds of video to reach the engine",
                    "return /about ([3-9]|\\d\\d+) s of video saved/.test(document.querySelector('[data-testid=video-status]').innerText)")
                // The microphone's PCM still reaches the engine beside the recording.
                try await page.waitUntil("the engine to count audio",
                    "return parseFloat(document.querySelector('[data-testid=audio-sent]').innerText) > 0.5")
                try await page.answerByTyping("When our billing service had to ship in six weeks, I designed the data model and we cut the report from nine minutes to five.")
                try await page.screenshot("interview-camera")
                // The picture can be hidden and shown again during the interview; the recording goes on.
                try await page.click("[data-testid=camera-picture]")
                #expect(try await page.attribute("[data-testid=camera-picture]", "aria-pressed") == "false")
                #expect(try await page.browser.execute("return window.jestry.view.camera.camera.showing") as? Bool == false)
                try await page.click("[data-testid=camera-picture]")
                #expect(try await page.attribute("[data-testid=camera-picture]", "aria-pressed") == "true")
                try await page.click("[data-testid=finish-answer]")
                try await page.waitForText("[data-testid=question-progress]", containing: "follow-up")
                try await page.waitUntil("more video after the second question",
                    "return /about (\\d\\d+|[6-9]) s of video saved/.test(document.querySelector('[data-testid=video-status]').innerText)")
                try await page.click("[data-testid=end-interview]")
                try await page.confirmDialog()
                try await page.waitForElement("[data-testid=end-screen]")
                try await page.waitForElement("[data-testid=video-status][data-state=done]")

                // Stored whole, as WebM with a picture and a sound as long as the interview.
                let link = try #require(try await page.attribute("[data-testid=view-session]", "href"))
                let sessionID = String(link.dropFirst("#/history/".count))
                let token = try page.engine.token(email: email)
                let detail = try page.engine.json("GET", "v1/sessions/\(sessionID)", token: token).json
                let video = try #require(detail["video"] as? [String: Any])
                #expect(video["finished"] as? Bool == true && video["gaps"] as? [Int] == [])
                let file = page.engine.dataDirectory.appendingPathComponent("recordings/\(sessionID).webm")
                var probed: (streams: [String], seconds: Double?) = ([], nil)
                try await page.waitForEngine("the finished video to be indexed with its duration") {
                    probed = try Self.probe(file)
                    return probed.seconds != nil
                }
                #expect(Set(probed.streams) == ["video", "audio"], "streams: \(probed.streams)")
                let session = try #require(detail["session"] as? [String: Any])
                let formatter = ISO8601DateFormatter()
                let started = try #require((session["started_at"] as? String).flatMap(formatter.date(from:)))
                let ended = try #require((session["ended_at"] as? String).flatMap(formatter.date(from:)))
                let sessionSeconds = ended.timeIntervalSince(started)
                #expect(abs((probed.seconds ?? 0) - sessionSeconds) < 3, "video \(probed.seconds ?? 0) s, session \(sessionSeconds) s")

                // The history plays it beside the transcript; a turn's button jumps to its moment.
                try await page.click("[data-testid=view-session]")
                try await page.waitForElement("[data-testid=video-player]")
                let shown = try await page.waitUntil("the video's metadata, with its duration",
                    "const v = document.querySelector('[data-testid=video-player]'); return v.readyState >= 1 && isFinite(v.duration) ? v.duration : null")
                #expect(abs((shown as? Double ?? 0) - sessionSeconds) < 3, "the player knows the length: \(shown)")
                let turns = try #require(video["turns"] as? [[String: Any]])
                let target = try #require(turns.last?["question_ms"] as? Int)
                #expect(target > 1000, "the follow-up comes seconds into the video")
                try await page.click("[data-testid=session-transcript] li:last-child [data-testid=seek]")
                let position = try await page.waitUntil("the video to jump to the follow-up", """
                    const v = document.querySelector('[data-testid=video-player]');
                    return !v.seeking && Math.abs(v.currentTime * 1000 - arguments[0]) < 1500 ? v.currentTime : null;
                    """, [target])
                #expect((position as? Double).map { abs($0 * 1000 - Double(target)) < 1500 } == true)
                try await page.expectAccessible("a session with its video")
                try await page.screenshot("session-video")

                // Deleting the session deletes the video.
                try await page.click("[data-testid=delete-session]")
                try await page.confirmDialog()
                try await page.waitForText("#notice-area", containing: "deleted")
                #expect(!FileManager.default.fileExists(atPath: file.path))
            }
        }
    }
}

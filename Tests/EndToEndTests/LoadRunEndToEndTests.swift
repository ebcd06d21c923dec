import Audio
import Bot
import Foundation
import Store
import Testing

/// The load generator's core against a real engine: three voice candidates on two generator threads, one answer
/// each, every turn measured.
/// Latencies are printed by `jestry bench load`, never asserted here.
@Suite struct LoadRunEndToEndTests {
    @Test func threeVoiceCandidatesEachAnswerOnceAndAreMeasured() throws {
        // They consent to recording (`bench load --record`), so the engine keeps each one's audio too.
        let engine = try TestEngine()
        // Straight into the store: sign-up over HTTP is rate limited per address.
        let signIns: [LoadRun.SignIn] = try (0..<3).map { index in
            let account = try engine.store.createAccount(
                NewAccount(name: "Load \(index)", email: "load-\(index)@example.com", passwordHash: "not used",
                           birthDate: "1990-01-01"),
                trialMs: 600_000, at: Date())
            return .token(try engine.store.issueToken(accountID: account.id, at: Date(), lifetime: 3600))
        }
        var plan = LoadRun.Plan(url: engine.interviewURL, signIns: signIns, turns: 1, speech: try LoadSpeech.spoken())
        plan.maxSeconds = 120
        plan.record = true
        plan.serverPID = getpid()  // the engine runs in this process, beside the generator
        plan.threads = 2  // one candidate on one thread, two on the other: the report is over all three

        let report = try LoadRun.run(plan)

        #expect(report.generatorThreads == 2)
        #expect(report.sessionsStarted == 3)
        #expect(report.sessionsFailed == 0)
        #expect(report.sessionsCompleted == 3)
        #expect(report.failures.isEmpty)
        #expect(report.errorsByCode.isEmpty)
        #expect(report.endReasons == ["client_ended": 3])
        #expect(report.turnsMeasured == [1, 1, 1])
        #expect(report.turnLatency.count == 3)
        #expect(report.onsetLatency.count == 3)
        #expect(report.detectionLatency.count == 3)
        #expect(report.audioFramesSent >= 3 * plan.speech.frames.count)
        #expect(!report.timedOut)
        // Engine and generator are one process here: the server's figures are the whole process's.
        let server = try #require(report.server)
        #expect(server.cpuSeconds > 0)
        #expect(server.cpuPerGeneratorCPU == server.cpuSeconds / report.generatorCPUSeconds)
        #expect(server.cpuMicrosecondsPerAudioSecond == server.cpuSeconds * 1e6 / report.audioSeconds)
        // Each finished once its session ended (off the service thread): a complete header over at least the answer.
        let folder = engine.dataDirectory.appendingPathComponent("recordings")
        let answerBytes = plan.speech.frames.count * LoadSpeech.frameBytes
        let recordings = eventually("three finished recordings") {
            let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
            let finished = files.compactMap { try? Data(contentsOf: $0) }.filter { bytes in
                bytes.count >= 44 + answerBytes
                    && bytes.prefix(44) == WAVFile.header(sampleRate: LoadSpeech.sampleRate, dataByteCount: bytes.count - 44)
            }
            return finished.count == 3 ? finished : nil
        }
        #expect(recordings?.count == 3)
    }

    @Test func aRefusedTokenCountsAsAFailedSessionAndTheRunStillEnds() throws {
        let engine = try TestEngine()
        var plan = LoadRun.Plan(url: engine.interviewURL, signIns: [.token("not-a-token"), .failed("sign-up HTTP 429")],
                                turns: 1, speech: try LoadSpeech.spoken())
        plan.maxSeconds = 60

        let report = try LoadRun.run(plan)

        #expect(report.sessionsStarted == 0)
        #expect(report.sessionsFailed == 2)
        #expect(report.failures == ["HTTP 401": 1, "sign-up HTTP 429": 1])
        #expect(report.turnLatency.count == 0)
        #expect(!report.timedOut)
        #expect(report.server == nil)  // no --server-pid, no server figures
        #expect(report.generatorThreads == 1)
    }
}

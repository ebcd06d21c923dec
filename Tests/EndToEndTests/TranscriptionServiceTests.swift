import Audio
import Foundation
import Logging
import OutboundHTTP
import Testing
@testable import Server

/// The engine's bounds on its transcriber, on their own: how many run, how many wait, what is refused, and the
/// timeout that frees a slot.
@Suite struct TranscriptionServiceTests {
    /// A transcriber that answers only when told to.
    final class HeldTranscriber: SpeechTranscriber, @unchecked Sendable {
        private let lock = NSLock()
        private var held: [@Sendable (Result<String, any Error>) -> Void] = []
        var started: Int { lock.withLock { held.count } }

        func transcribe(_ audio: WAVFile, completion: @escaping @Sendable (Result<String, any Error>) -> Void) {
            lock.withLock { held.append(completion) }
        }

        func answer(_ index: Int, _ text: String) {
            let completion = lock.withLock { held[index] }
            completion(.success(text))
        }
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: Result<String, any Error>] = [:]
        func set(_ key: String, _ result: Result<String, any Error>) { lock.withLock { values[key] = result } }
        func text(_ key: String) -> String? { lock.withLock { try? values[key]?.get() } }
        func failed(_ key: String) -> Bool { lock.withLock { if case .failure = values[key] { true } else { false } } }
    }

    static func service(_ transcriber: any SpeechTranscriber, timeout: TimeInterval = 600) -> TranscriptionService {
        let health = TranscriptionHealth(baseURL: URL(string: "http://127.0.0.1:9")!, interval: 60, timeout: 1,
                                         logger: Logger(label: "test"), http: OutboundHTTPClient())
        return TranscriptionService(transcriber: transcriber, maxInFlight: 2, maxQueued: 3, timeout: timeout,
                                    health: health, logger: Logger(label: "test"))
    }

    static let audio = WAVFile(sampleRate: 16_000, pcm16: Data(count: 3_200))

    @Test func twoRunThreeWaitTheRestAreRefusedAndInterimsNeverWait() {
        let transcriber = HeldTranscriber()
        let service = Self.service(transcriber)
        let results = Results()
        func submit(_ key: String, interim: Bool = false) -> Bool {
            service.submit(Self.audio, interim: interim) { results.set(key, $0) }
        }
        #expect(submit("a"))
        #expect(submit("b"))
        #expect(transcriber.started == 2)
        // Both slots taken: an interim is refused at once, finals wait, up to three of them.
        #expect(!submit("interim", interim: true))
        #expect(submit("c"))
        #expect(submit("d"))
        #expect(submit("e"))
        #expect(!submit("f"))
        #expect(service.load == (2, 3))
        // One answers: the oldest waiting one takes its slot.
        transcriber.answer(0, "first words")
        #expect(results.text("a") == "first words")
        #expect(transcriber.started == 3)
        #expect(service.load == (2, 2))
        // With a slot free and nobody waiting, an interim is taken.
        for index in 1...4 { transcriber.answer(index, "words \(index)") }
        #expect(results.text("e") == "words 4")
        #expect(service.load == (0, 0))
        #expect(submit("late interim", interim: true))
        #expect(transcriber.started == 6)
    }

    @Test func aTranscriptionThatNeverAnswersTimesOutAndFreesItsSlot() {
        let transcriber = HeldTranscriber()
        let service = Self.service(transcriber, timeout: 0.05)
        let results = Results()
        #expect(service.submit(Self.audio, interim: false) { results.set("a", $0) })
        #expect(service.submit(Self.audio, interim: false) { results.set("b", $0) })
        #expect(service.submit(Self.audio, interim: false) { results.set("c", $0) })
        // Bounded wait: the timeouts fire on their own queue.
        for _ in 0..<400 where !results.failed("c") { Thread.sleep(forTimeInterval: 0.01) }
        #expect(results.failed("a") && results.failed("b") && results.failed("c"))
        #expect(service.load == (0, 0))
        // A late answer after the timeout changes nothing.
        transcriber.answer(0, "too late")
        #expect(results.failed("a"))
        #expect(service.load == (0, 0))
    }
}

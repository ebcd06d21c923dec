import Foundation
import Testing
@testable import Model

/// The engine's bounds on model calls, with a model that answers only when the test says so.
@Suite struct ModelRequestLimiterTests {
    final class HeldModel: ChatModel, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var started: [ChatRequest] = []
        private var finishers: [@Sendable (ChatStreamEvent) -> Void] = []
        private(set) var cancels = 0

        func stream(_ request: ChatRequest, timeout: TimeInterval,
                    onEvent: @escaping @Sendable (ChatStreamEvent) -> Void) -> ModelCall {
            lock.withLock {
                started.append(request)
                finishers.append(onEvent)
            }
            return ModelCall { [self] in
                lock.withLock { cancels += 1 }
                onEvent(.finished(.failure(.cancelled)))
            }
        }

        func finish(_ index: Int, _ text: String) {
            let finisher = lock.withLock { finishers[index] }
            finisher(.finished(.success(text)))
        }
    }

    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [Int: [ChatStreamEvent]] = [:]
        func note(_ call: Int, _ event: ChatStreamEvent) { lock.withLock { events[call, default: []].append(event) } }
        func of(_ call: Int) -> [ChatStreamEvent] { lock.withLock { events[call] ?? [] } }
    }

    static func request(_ n: Int) -> ChatRequest { ChatRequest(messages: [ChatMessage(.user, "\(n)")], maxTokens: 8) }

    @Test func pastTheBoundsACallIsRefusedAtOnceAndAQueuedOneStartsWhenAPlaceFrees() {
        let model = HeldModel()
        let limiter = ModelRequestLimiter(model: model, maxInFlight: 1, maxQueued: 1)
        let seen = Seen()
        for n in 0..<3 { limiter.submit(Self.request(n), timeout: 10) { seen.note(n, $0) } }
        #expect(model.started.count == 1)
        #expect(seen.of(2) == [.finished(.failure(.busy))])
        #expect(limiter.load == (1, 1))
        model.finish(0, "first")
        #expect(seen.of(0) == [.finished(.success("first"))])
        #expect(model.started.count == 2)
        #expect(model.started.last == Self.request(1))
        #expect(limiter.load == (1, 0))
    }

    @Test func anUrgentCallWaitsAheadOfTheOthers() {
        let model = HeldModel()
        let limiter = ModelRequestLimiter(model: model, maxInFlight: 1, maxQueued: 4)
        limiter.submit(Self.request(0), timeout: 10) { _ in }
        limiter.submit(Self.request(1), timeout: 10) { _ in }  // a grade, say
        limiter.submit(Self.request(2), timeout: 10) { _ in }
        limiter.submit(Self.request(3), timeout: 10, urgent: true) { _ in }  // a follow-up's wording
        model.finish(0, "done")
        #expect(model.started.map(\.messages.first?.content) == ["0", "3"])
    }

    @Test func cancellingAWaitingCallTakesItOutOfTheQueueAndARunningOneCancelsTheModel() {
        let model = HeldModel()
        let limiter = ModelRequestLimiter(model: model, maxInFlight: 1, maxQueued: 2)
        let seen = Seen()
        let running = limiter.submit(Self.request(0), timeout: 10) { seen.note(0, $0) }
        let waiting = limiter.submit(Self.request(1), timeout: 10) { seen.note(1, $0) }
        waiting.cancel()
        #expect(seen.of(1) == [.finished(.failure(.cancelled))])
        #expect(limiter.load == (1, 0))
        running.cancel()
        #expect(model.cancels == 1)
        #expect(seen.of(0) == [.finished(.failure(.cancelled))])
        #expect(model.started.count == 1)  // the cancelled waiting call never started
        #expect(limiter.load == (0, 0))
    }
}

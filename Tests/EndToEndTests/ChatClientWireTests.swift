import Foundation
import Model
import OutboundHTTP
import Testing
import TestSupport

/// `OpenAICompatibleChatClient` over real sockets against the scripted stand-in model server: the `ChatModel`
/// contract (first token at most once, then one `finished`) holds when the answer streams, fails, hangs and
/// times out, and when calls are cancelled at any moment, many at once.
@Suite struct ChatClientWireTests {
    /// One call's events, with the end signalled.
    final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private var recorded: [ChatStreamEvent] = []
        private let done = DispatchSemaphore(value: 0)

        func note(_ event: ChatStreamEvent) {
            lock.withLock { recorded.append(event) }
            if case .finished = event { done.signal() }
        }

        var seen: [ChatStreamEvent] { lock.withLock { recorded } }
        /// Any number of waits may see the one end.
        func waitForEnd(seconds: TimeInterval = 20) -> Bool {
            guard done.wait(timeout: .now() + seconds) == .success else { return false }
            done.signal()
            return true
        }
        var result: Result<String, ModelFailure>? {
            seen.compactMap { if case .finished(let result) = $0 { result } else { nil } }.first
        }
    }

    static let ask = ChatRequest(messages: [ChatMessage(.user, "Ask me a question.")], maxTokens: 16)

    static func call(_ client: OpenAICompatibleChatClient, timeout: TimeInterval = 20) -> (Events, ModelCall) {
        let events = Events()
        let call = client.stream(Self.ask, timeout: timeout) { events.note($0) }
        return (events, call)
    }

    @Test func aStreamedAnswerGivesTheFirstTokenThenTheText() throws {
        let server = try StandInModelServer { _, _ in .stream(["What did ", "you change?"], between: 0.05) }
        defer { server.stop() }
        let client = OpenAICompatibleChatClient(baseURL: server.url, apiKey: "test-key", model: "stand-in")
        defer { client.invalidate() }
        let (events, _) = Self.call(client)
        #expect(events.waitForEnd())
        #expect(events.seen == [.firstToken, .finished(.success("What did you change?"))])
        #expect(server.requests.first?.head.contains("\r\nAuthorization: Bearer test-key") == true)
    }

    @Test func anErrorStatusIsTheCallsFailureWithTheBody() throws {
        let server = try StandInModelServer { _, _ in .status(500) }
        defer { server.stop() }
        let client = OpenAICompatibleChatClient(baseURL: server.url, apiKey: nil, model: "stand-in")
        defer { client.invalidate() }
        let (events, _) = Self.call(client)
        #expect(events.waitForEnd())
        guard case .failure(.status(500, let body)) = events.result else {
            Issue.record("expected a 500, got \(String(describing: events.result))")
            return
        }
        #expect(body.contains("stand-in failure"))
    }

    @Test func aHungServerEndsAtTheTimeoutAndItsConnectionIsClosed() throws {
        let server = try StandInModelServer { _, _ in .streamThenHang(["What did "]) }
        defer { server.stop() }
        let client = OpenAICompatibleChatClient(baseURL: server.url, apiKey: nil, model: "stand-in")
        defer { client.invalidate() }
        let (events, _) = Self.call(client, timeout: 0.5)
        #expect(events.waitForEnd())
        #expect(events.seen == [.firstToken, .finished(.failure(.timedOut(seconds: 0.5)))])
        #expect(eventually("the connection is closed") { server.clientClosedEarly(0) ? true : nil } == true)
    }

    /// Many calls at once on one shared HTTP client, each cancelled at a different moment (before its request is
    /// sent, while it streams, as it completes, after it ended) or not at all: every call ends exactly once, a
    /// first token only ever comes before the end, and every place is freed.
    @Test func cancellingManyStreamingCallsAtAnyMomentEndsEachOnce() throws {
        let server = try StandInModelServer { _, _ in .stream(["one ", "two ", "three"], between: 0.003) }
        defer { server.stop() }
        let http = OutboundHTTPClient(maxTransfers: 64)
        defer { http.shutdown() }
        let client = OpenAICompatibleChatClient(baseURL: server.url, apiKey: nil, model: "stand-in", http: http)
        var all: [Events] = []
        for _ in 0..<12 {
            let batch = (0..<24).map { _ in Events() }
            all += batch
            DispatchQueue.concurrentPerform(iterations: batch.count) { index in
                let events = batch[index]
                let call = client.stream(Self.ask, timeout: 20) { events.note($0) }
                switch index % 4 {
                case 0: call.cancel()
                case 1: usleep(UInt32.random(in: 0...15_000)); call.cancel()
                case 2: _ = events.waitForEnd(); call.cancel()
                default: break
                }
            }
            for events in batch { #expect(events.waitForEnd()) }
        }
        #expect(eventually("every place is freed") { http.transfersUnderWay == 0 ? true : nil } == true)
        usleep(50_000)
        var cancelled = 0
        for events in all {
            let seen = events.seen
            #expect(seen.filter { if case .finished = $0 { true } else { false } }.count == 1)
            #expect(seen.filter { $0 == .firstToken }.count <= 1)
            guard case .finished(let result) = seen.last else { Issue.record("the end was not last: \(seen)"); continue }
            switch result {
            case .success(let text): #expect(text == "one two three")
            case .failure(.cancelled): cancelled += 1
            case .failure(let other): Issue.record("unexpected failure: \(other)")
            }
        }
        #expect(cancelled > 0)  // cancels won some of the races
        #expect(cancelled <= all.count / 2)  // and only calls that were cancelled ended so
    }
}

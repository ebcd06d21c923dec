import Foundation
import OutboundHTTP

/// Records what a transfer's receiver is told, in order, and signals the first piece of body and the end.
final class RecordingReceiver: OutboundReceiver, @unchecked Sendable {
    enum Event: Equatable {
        case head(Int)
        case body(String)
        case finished(Result<Void, OutboundFailure>)

        static func == (lhs: Event, rhs: Event) -> Bool {
            switch (lhs, rhs) {
            case (.head(let a), .head(let b)): a == b
            case (.body(let a), .body(let b)): a == b
            case (.finished(.success), .finished(.success)): true
            case (.finished(.failure(let a)), .finished(.failure(let b))): a == b
            default: false
            }
        }
    }

    private let lock = NSLock()
    private var recorded: [Event] = []
    private var bodyBytes = 0
    let firstBody = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    /// What to answer to each piece of body.
    private let disposition: @Sendable (String) -> OutboundDisposition

    init(disposition: @escaping @Sendable (String) -> OutboundDisposition = { _ in .proceed }) {
        self.disposition = disposition
    }

    var events: [Event] { lock.withLock { recorded } }
    var receivedBodyBytes: Int { lock.withLock { bodyBytes } }
    var finishedCount: Int { events.filter { if case .finished = $0 { true } else { false } }.count }
    var result: Result<Void, OutboundFailure>? {
        events.compactMap { if case .finished(let result) = $0 { result } else { nil } }.first
    }
    var failure: OutboundFailure? { if case .failure(let failure) = result { failure } else { nil } }
    var body: String { events.compactMap { if case .body(let text) = $0 { text } else { nil } }.joined() }

    /// Waits for `finished`; true if it came in time. Any number of waits may see the one end.
    func waitForEnd(seconds: TimeInterval = 10) -> Bool {
        guard done.wait(timeout: .now() + seconds) == .success else { return false }
        done.signal()
        return true
    }

    func headReceived(status: Int) -> OutboundDisposition {
        lock.withLock { recorded.append(.head(status)) }
        return .proceed
    }

    func bodyReceived(_ chunk: Data) -> OutboundDisposition {
        let text = String(decoding: chunk, as: UTF8.self)
        let first: Bool = lock.withLock {
            recorded.append(.body(text))
            bodyBytes += chunk.count
            return bodyBytes == chunk.count
        }
        if first { firstBody.signal() }
        return disposition(text)
    }

    func finished(_ result: Result<Void, OutboundFailure>) {
        lock.withLock { recorded.append(.finished(result)) }
        done.signal()
    }
}

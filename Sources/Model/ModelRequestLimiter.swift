import Foundation

/// The engine's bounds on model calls, shared by every service thread: at most `maxInFlight` run at once and
/// `maxQueued` wait; past that a call is refused at once (`busy`), so a slow model service makes the engine fall
/// back to its templates instead of piling up work. A waiting call that is cancelled leaves the queue; a running
/// one is cancelled on the wire.
public final class ModelRequestLimiter: @unchecked Sendable {
    public let model: any ChatModel
    public let maxInFlight: Int
    public let maxQueued: Int
    private let lock = NSLock()
    private var inFlight = 0
    private var waiting: [Job] = []

    private final class Job: @unchecked Sendable {
        let request: ChatRequest
        let timeout: TimeInterval
        let urgent: Bool
        let onEvent: @Sendable (ChatStreamEvent) -> Void
        /// Set once started; cancelled jobs never start.
        var call: ModelCall?
        var cancelled = false

        init(request: ChatRequest, timeout: TimeInterval, urgent: Bool, onEvent: @escaping @Sendable (ChatStreamEvent) -> Void) {
            self.request = request
            self.timeout = timeout
            self.urgent = urgent
            self.onEvent = onEvent
        }
    }

    public init(model: any ChatModel, maxInFlight: Int, maxQueued: Int) {
        self.model = model
        self.maxInFlight = max(1, maxInFlight)
        self.maxQueued = max(0, maxQueued)
    }

    /// Calls running and waiting now.
    public var load: (inFlight: Int, queued: Int) { lock.withLock { (inFlight, waiting.count) } }

    /// Starts or queues the call. Refused (`finished(.failure(.busy))`, at once, on the caller's thread) when the
    /// bounds are full; otherwise events as `ChatModel.stream` describes. `cancel` on the result works in any state.
    /// An `urgent` call (a candidate is waiting for it) waits ahead of every call that is not.
    @discardableResult
    public func submit(_ request: ChatRequest, timeout: TimeInterval, urgent: Bool = false,
                       onEvent: @escaping @Sendable (ChatStreamEvent) -> Void) -> ModelCall {
        let job = Job(request: request, timeout: timeout, urgent: urgent, onEvent: onEvent)
        enum Decision { case start, queued, refused }
        let decision: Decision = lock.withLock {
            if inFlight < maxInFlight, waiting.isEmpty {
                inFlight += 1
                return .start
            }
            guard waiting.count < maxQueued else { return .refused }
            if urgent, let firstCalm = waiting.firstIndex(where: { !$0.urgent }) {
                waiting.insert(job, at: firstCalm)
            } else {
                waiting.append(job)
            }
            return .queued
        }
        switch decision {
        case .refused: onEvent(.finished(.failure(.busy)))
        case .start: start(job)
        case .queued: break
        }
        return ModelCall { [weak self] in self?.cancel(job) }
    }

    private func start(_ job: Job) {
        let call = model.stream(job.request, timeout: job.timeout) { [weak self] event in
            job.onEvent(event)
            if case .finished = event { self?.finished() }
        }
        let cancelledMeanwhile: Bool = lock.withLock {
            job.call = call
            return job.cancelled
        }
        if cancelledMeanwhile { call.cancel() }
    }

    private func cancel(_ job: Job) {
        let (call, wasWaiting): (ModelCall?, Bool) = lock.withLock {
            job.cancelled = true
            if let index = waiting.firstIndex(where: { $0 === job }) {
                waiting.remove(at: index)
                return (nil, true)
            }
            return (job.call, false)
        }
        if wasWaiting { job.onEvent(.finished(.failure(.cancelled))) }
        call?.cancel()
    }

    /// A running call finished: its place goes to the next waiting one.
    private func finished() {
        let next: Job? = lock.withLock {
            guard !waiting.isEmpty else {
                inFlight -= 1
                return nil
            }
            return waiting.removeFirst()
        }
        if let next { start(next) }
    }
}

import Audio
import Dispatch
import Foundation
import Logging
import OutboundHTTP

/// The engine's transcriber with its bounds, shared by every service thread: at most `maxInFlight` transcriptions
/// run at once and `maxQueued` wait; past that a stretch is refused at once (and stays untranscribed). Interim
/// transcriptions are taken only while a slot is free and nobody waits, so they never delay a final one.
///
/// Nothing here blocks: `submit` only counts and hands the work to the transcriber, whose completion (on its own
/// thread) starts the next waiting job. Failures are logged when transcription stops working and when it works again,
/// never once per stretch.
final class TranscriptionService: @unchecked Sendable {
    typealias Completion = @Sendable (Result<String, any Error>) -> Void

    let transcriber: any SpeechTranscriber
    let maxInFlight: Int
    let maxQueued: Int
    /// A transcription that has not answered in this time fails (whatever the transcriber's own timeout does), and
    /// its slot goes to the next one.
    let timeout: TimeInterval
    let health: TranscriptionHealth
    /// Counts every call, its outcome and latency, and the refusals (`GET /metrics`).
    let calls: ExternalCallMetrics?
    private let logger: Logger
    private let lock = NSLock()
    private var inFlight = 0
    private var waiting: [(audio: WAVFile, completion: Completion)] = []
    private var waitingStart = 0
    private var failing = false
    private var refusals = 0
    private var lastRefusalLogMs: Int64?

    struct TimedOut: Error, CustomStringConvertible {
        let seconds: TimeInterval
        var description: String { "no answer within \(seconds) s" }
    }

    init(transcriber: any SpeechTranscriber, maxInFlight: Int, maxQueued: Int, timeout: TimeInterval,
         health: TranscriptionHealth, logger: Logger, calls: ExternalCallMetrics? = nil) {
        self.transcriber = transcriber
        self.calls = calls
        self.timeout = timeout
        self.maxInFlight = max(1, maxInFlight)
        self.maxQueued = max(0, maxQueued)
        self.health = health
        self.logger = logger
    }

    /// Transcriptions running and waiting now.
    var load: (inFlight: Int, queued: Int) {
        lock.withLock { (inFlight, waiting.count - waitingStart) }
    }

    /// Starts or queues the transcription of `audio`; false (and `completion` never called) when it is refused.
    func submit(_ audio: WAVFile, interim: Bool, completion: @escaping Completion) -> Bool {
        enum Decision { case start, queued, refused }
        let decision: Decision = lock.withLock {
            let queued = waiting.count - waitingStart
            if inFlight < maxInFlight, queued == 0 {
                inFlight += 1
                return .start
            }
            guard !interim, queued < maxQueued else {
                if !interim { noteRefusalLocked() }
                return .refused
            }
            waiting.append((audio, completion))
            return .queued
        }
        if decision == .start { start(audio, completion) }
        if decision == .refused, !interim { calls?.refused() }  // interims are skipped while busy by design
        return decision != .refused
    }

    private func start(_ audio: WAVFile, _ given: @escaping Completion) {
        let startedNs = EngineMetrics.nowNs
        let completion: Completion = { [calls] result in
            if case .success = result { calls?.finished(succeeded: true, startedNs: startedNs) }
            else { calls?.finished(succeeded: false, startedNs: startedNs) }
            given(result)
        }
        let once = Once()
        let timeout = timeout
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + timeout) { [self] in
            if once.claim() { complete(.failure(TimedOut(seconds: timeout)), completion) }
        }
        transcriber.transcribe(audio) { [self] result in
            if once.claim() { complete(result, completion) }
        }
    }

    /// Exactly one of the answer and the timeout gets to complete a job.
    private final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var claimed = false
        func claim() -> Bool { lock.withLock { defer { claimed = true }; return !claimed } }
    }

    private func complete(_ result: Result<String, any Error>, _ completion: Completion) {
        finished(result)
        completion(result)
        let next: (audio: WAVFile, completion: Completion)? = lock.withLock {
            guard waitingStart < waiting.count else {
                inFlight -= 1
                return nil
            }
            let job = waiting[waitingStart]
            waitingStart += 1
            if waitingStart == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                waitingStart = 0
            }
            return job  // the slot passes to it
        }
        if let next { start(next.audio, next.completion) }
    }

    /// Logs the change from working to failing and back, once each.
    private func finished(_ result: Result<String, any Error>) {
        let (changed, nowFailing): (Bool, Bool) = lock.withLock {
            let failed = if case .failure = result { true } else { false }
            defer { failing = failed }
            return (failed != failing, failed)
        }
        guard changed else { return }
        if nowFailing, case .failure(let error) = result {
            logger.warning("transcription failed; stretches stay untranscribed until it works again (logged once)",
                           metadata: ["error": "\(error)"])
        } else {
            logger.notice("transcription works again")
        }
    }

    /// Refused finals are counted and logged at most once a minute.
    private func noteRefusalLocked() {
        refusals += 1
        let nowMs = Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000)
        if let last = lastRefusalLogMs, nowMs - last < 60_000 { return }
        lastRefusalLogMs = nowMs
        let count = refusals
        refusals = 0
        logger.warning("transcriber busy: stretches left untranscribed",
                       metadata: ["count": "\(count)", "max_in_flight": "\(maxInFlight)", "max_queued": "\(maxQueued)"])
    }
}

/// Whether the transcription service answers, from a probe every few seconds on a queue of its own (never on a
/// service thread, never per request): `GET <base>/health`. Any HTTP answer below 500 counts as up (a hosted
/// service may have no such path); no answer within the timeout, or a 5xx, as down.
final class TranscriptionHealth: @unchecked Sendable {
    private let url: URL
    private let interval: TimeInterval
    private let timeout: TimeInterval
    private let logger: Logger
    private let lock = NSLock()
    private var up = true
    private var probed = false
    private let queue = DispatchQueue(label: "jestry.transcription-health")
    private var timer: DispatchSourceTimer?
    private var probeUnderWay: OutboundTransfer?
    private let http: OutboundHTTPClient

    init(baseURL: URL, interval: TimeInterval, timeout: TimeInterval, logger: Logger, http: OutboundHTTPClient) {
        url = baseURL.appendingPathComponent("health")
        self.interval = max(0.05, interval)
        self.timeout = timeout
        self.logger = logger
        self.http = http
    }

    /// Optimistic until the first probe has answered, so a session started at once may use the transcriber.
    var isAvailable: Bool { lock.withLock { up } }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: interval)
        timer.setEventHandler { [weak self] in self?.probe() }
        lock.withLock { self.timer = timer }
        timer.resume()
    }

    /// Stops probing and cancels a probe still out. Safe from any thread, the HTTP client's included (the last
    /// reference to the engine's services can go in a transcription's completion).
    func stop() {
        let (probeTimer, probe): (DispatchSourceTimer?, OutboundTransfer?) = lock.withLock { (timer, probeUnderWay) }
        probeTimer?.cancel()
        probe?.cancel()
    }

    private func probe() {
        let request = OutboundRequest(method: .get, url: url, limits: OutboundLimits(total: timeout, maxResponseBytes: 64 * 1024))
        let transfer = http.send(request) { [weak self] (result: Result<OutboundResponse, OutboundFailure>) in
            switch result {
            case .success(let response): self?.note(up: response.status < 500, detail: "status \(response.status)")
            case .failure(.cancelled), .failure(.shutDown): break
            case .failure(let failure): self?.note(up: false, detail: "\(failure)")
            }
        }
        lock.withLock { probeUnderWay = transfer }
    }

    private func note(up nowUp: Bool, detail: String) {
        let changed: Bool = lock.withLock {
            defer { up = nowUp; probed = true }
            return up != nowUp || !probed && !nowUp
        }
        guard changed else { return }
        if nowUp {
            logger.notice("transcription service is up", metadata: ["url": "\(url)"])
        } else {
            logger.warning("transcription service is down; voice sessions use the client's transcripts",
                           metadata: ["url": "\(url)", "detail": "\(detail)"])
        }
    }
}

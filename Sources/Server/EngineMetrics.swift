import CoreMetrics
import Dispatch
import Foundation
import Interview
import struct Prometheus.PrometheusMetricsFactory
import class Prometheus.PrometheusCollectorRegistry

/// What the engine counts, for `GET /metrics` (Prometheus text format).
///
/// Every metric is a swift-metrics handle made by a `PrometheusMetricsFactory` on this engine's own registry (never
/// the global `MetricsSystem`, so several engines in one process, as in the tests, count apart). Each handle is
/// created once, here, with its labels: counting on a service thread is one relaxed atomic add (a compare-and-swap
/// loop for gauges), never a lookup, an allocation or a lock. Queue depths that other objects own are read when
/// `/metrics` is scraped (`EngineMetrics.Sampler`), so nothing updates them per event.
public final class EngineMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Live sessions by mode (`text`, `voice`), parked ones waiting for resume included.
    let liveSessions: [InterviewMode: Meter]
    /// Interview WebSockets open on this node.
    let connections: Meter
    /// From the input that ended a turn (`answer.done`, the silence, the time limit) to the next question queued for
    /// the candidate: the interviewer's response time as this node adds it (a model call included, when there is one).
    let turnLatency: CoreMetrics.Timer
    /// One settlement batch: the store writer's transaction for a thread's live sessions.
    let settlementLatency: CoreMetrics.Timer
    let settlementFailures: Counter
    /// Seconds of interview charged to the ledger.
    let settledSeconds: FloatingPointCounter
    let audioFramesIn: Counter
    /// Audio frames the machine refused (a flood, faster than real time, audio where none is expected).
    let audioFramesDropped: Counter
    /// `error` events sent to clients, by code.
    let errors: [ProtocolError.Code: Counter]
    /// Calls to the speech-to-text service.
    public let transcriptionCalls: ExternalCallMetrics
    /// Calls to the language model: follow-up wordings, grades and written reports (`ServiceLoop.submitCounted`).
    public let modelCalls: ExternalCallMetrics
    /// Session records and settlements waiting for the one store writer.
    let storeWriterQueue: Meter
    /// Transactions of session records, and the records they wrote: records per transaction is how far the store
    /// writer batches (`StoreWriter`).
    let recordTransactions: Counter
    let recordsWritten: Counter
    let transcriptionInFlight: Meter
    let transcriptionQueued: Meter
    /// Bytes of events queued for clients on each service thread, and the most on any one connection.
    let outputQueueBytes: [Meter]
    let outputQueueLargestBytes: [Meter]
    /// 1 while the node drains (SIGTERM: no new sessions, live ones finishing).
    let draining: Meter

    /// Fills the gauges read at scrape time.
    var sampler: (@Sendable () -> Void)? {
        get { samplerBox.withLock { $0 } }
        set { samplerBox.withLock { $0 = newValue } }
    }
    private let samplerBox = Locked<(@Sendable () -> Void)?>(nil)

    public init(serviceThreads: Int) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        let latencyBuckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                          .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                          .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10)]
        factory.defaultDurationHistogramBuckets = latencyBuckets
        liveSessions = Dictionary(uniqueKeysWithValues: [InterviewMode.text, .voice].map {
            ($0, Meter(label: "jestry_live_sessions", dimensions: [("mode", $0.rawValue)], factory: factory))
        })
        connections = Meter(label: "jestry_interview_connections", factory: factory)
        turnLatency = CoreMetrics.Timer(label: "jestry_turn_latency_seconds", factory: factory)
        settlementLatency = CoreMetrics.Timer(label: "jestry_settlement_latency_seconds", factory: factory)
        settlementFailures = Counter(label: "jestry_settlement_failures_total", factory: factory)
        settledSeconds = FloatingPointCounter(label: "jestry_settled_seconds_total", factory: factory)
        audioFramesIn = Counter(label: "jestry_audio_frames_received_total", factory: factory)
        audioFramesDropped = Counter(label: "jestry_audio_frames_dropped_total", factory: factory)
        errors = Dictionary(uniqueKeysWithValues: ProtocolError.Code.allCases.map {
            ($0, Counter(label: "jestry_errors_total", dimensions: [("code", $0.rawValue)], factory: factory))
        })
        transcriptionCalls = ExternalCallMetrics(service: "transcription", factory: factory)
        modelCalls = ExternalCallMetrics(service: "model", factory: factory)
        storeWriterQueue = Meter(label: "jestry_queue_depth", dimensions: [("queue", "store_writer")], factory: factory)
        recordTransactions = Counter(label: "jestry_session_record_transactions_total", factory: factory)
        recordsWritten = Counter(label: "jestry_session_records_written_total", factory: factory)
        transcriptionInFlight = Meter(label: "jestry_queue_depth", dimensions: [("queue", "transcription_running")], factory: factory)
        transcriptionQueued = Meter(label: "jestry_queue_depth", dimensions: [("queue", "transcription_waiting")], factory: factory)
        outputQueueBytes = (0..<max(1, serviceThreads)).map {
            Meter(label: "jestry_output_queue_bytes", dimensions: [("thread", "\($0)")], factory: factory)
        }
        outputQueueLargestBytes = (0..<max(1, serviceThreads)).map {
            Meter(label: "jestry_output_queue_largest_bytes", dimensions: [("thread", "\($0)")], factory: factory)
        }
        draining = Meter(label: "jestry_draining", factory: factory)
    }

    /// The Prometheus text exposition of every metric, gauges sampled now.
    public func exposition() -> String {
        sampler?()
        return registry.emitToString()
    }

    /// Seconds since `startNs` (`DispatchTime` uptime nanoseconds), recorded in `timer`.
    static func record(_ timer: CoreMetrics.Timer, since startNs: UInt64) {
        let now = DispatchTime.now().uptimeNanoseconds
        timer.recordNanoseconds(Int64(now >= startNs ? now - startNs : 0))
    }

    static var nowNs: UInt64 { DispatchTime.now().uptimeNanoseconds }
}

/// Calls to one external service (`service` label): how many succeeded or failed, how many were refused before
/// they started (the engine's own bounds), and how long they took.
public final class ExternalCallMetrics: Sendable {
    let succeeded: Counter
    let failed: Counter
    let refusedCalls: Counter
    let latency: CoreMetrics.Timer

    init(service: String, factory: PrometheusMetricsFactory) {
        succeeded = Counter(label: "jestry_external_calls_total", dimensions: [("service", service), ("outcome", "ok")], factory: factory)
        failed = Counter(label: "jestry_external_calls_total", dimensions: [("service", service), ("outcome", "failed")], factory: factory)
        refusedCalls = Counter(label: "jestry_external_calls_refused_total", dimensions: [("service", service)], factory: factory)
        latency = CoreMetrics.Timer(label: "jestry_external_call_latency_seconds", dimensions: [("service", service)], factory: factory)
    }

    /// A call that started at `startedNs` (`DispatchTime.now().uptimeNanoseconds`) has answered, or failed.
    public func finished(succeeded ok: Bool, startedNs: UInt64) {
        (ok ? succeeded : failed).increment()
        EngineMetrics.record(latency, since: startedNs)
    }

    /// A call turned away by the engine's bounds before it started.
    public func refused() { refusedCalls.increment() }
}

/// A value behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}

import Foundation
import Histogram

/// What one load run measured, for people (`table`) and machines (`json()`).
public struct LoadReport: Sendable, Codable {
    /// Percentiles of one HDR histogram of microseconds, reported in milliseconds.
    public struct Latency: Sendable, Codable, Equatable {
        public var count: Int
        public var p50Ms: Double
        public var p95Ms: Double
        public var p99Ms: Double
        public var maxMs: Double

        init(_ histogram: Histogram<UInt64>) {
            count = Int(histogram.totalCount)
            let ms = { (value: UInt64) in Double(value) / 1_000 }
            p50Ms = count == 0 ? 0 : ms(histogram.valueAtPercentile(50))
            p95Ms = count == 0 ? 0 : ms(histogram.valueAtPercentile(95))
            p99Ms = count == 0 ? 0 : ms(histogram.valueAtPercentile(99))
            maxMs = count == 0 ? 0 : ms(histogram.max)
        }
    }

    /// The server's CPU and memory over the run, when its pid was given.
    public struct Server: Sendable, Codable, Equatable {
        public var pid: Int32
        /// CPU seconds (user + system) the server spent from before the first connection to after the last ended.
        public var cpuSeconds: Double
        /// VmRSS before the first connection.
        public var rssBeforeKiB: Int
        /// The highest VmRSS sampled (twice a second) while the run went on.
        public var rssDuringKiB: Int
        /// VmRSS after the last session ended.
        public var rssAfterKiB: Int
        /// VmHWM at the end: the server's peak resident memory over its whole life.
        public var peakRSSKiB: Int
        /// Server CPU µs per second of audio streamed, all sessions together.
        public var cpuMicrosecondsPerAudioSecond: Double
        /// (rssDuring − rssBefore) / sessions.
        public var kibPerSession: Double
        /// The server's CPU over the generator's. The generator does the same work in every run of a plan and shares
        /// the machine, so on a machine whose speed varies this compares engines across runs better than µs do.
        public var cpuPerGeneratorCPU: Double
    }

    public var url: String
    public var sessions: Int
    public var turns: Int
    /// Threads the generator played the candidates on (`--threads`).
    public var generatorThreads: Int
    public var sessionsStarted: Int
    /// Sessions that never got `session.started`: refused upgrade, failed sign-in, closed or timed out before it.
    public var sessionsFailed: Int
    /// Started sessions that measured all their turns and ended with `session.ended`.
    public var sessionsCompleted: Int
    /// Why sessions failed, with counts ("HTTP 429", "closed before session.started", …).
    public var failures: [String: Int]
    /// `error` events received, by `code`.
    public var errorsByCode: [String: Int]
    /// `session.ended` reasons, with counts.
    public var endReasons: [String: Int]
    /// Turns measured (answer.done → next question) per session, in session order.
    public var turnsMeasured: [Int]
    /// `answer.done` written → next `question` received.
    public var turnLatency: Latency
    /// The first frame of speech written → `speech.started` received (includes the voice the detector must hear first).
    public var onsetLatency: Latency
    /// The frame that completes that voice written → `speech.started` received: the engine's lag.
    public var detectionLatency: Latency
    public var audioFramesSent: Int
    public var audioSeconds: Double
    /// Frames the candidates' microphones dropped: the generator fell more than 100 ms behind, or a connection had a
    /// second of audio queued that the server was not reading.
    public var audioFramesSkipped: Int
    /// Microseconds between the generator's wakeups (`--tick-microseconds`).
    public var tickMicroseconds: Int
    /// The longest time between two of the generator's wakeups: well above the tick, and above all above a 20 ms
    /// frame, the generator (or the machine) was too busy to keep its microphones in real time, and latencies
    /// include that.
    public var longestTickGapMs: Double
    public var wallSeconds: Double
    /// CPU seconds the load generator itself spent: it shares the machine with the server.
    public var generatorCPUSeconds: Double
    /// Whether the run hit `--max-seconds` before every session finished.
    public var timedOut: Bool
    public var server: Server?

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A readable table.
    public var table: String {
        func counts(_ values: [String: Int]) -> String {
            values.isEmpty ? "none" : values.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        func latency(_ value: Latency) -> String {
            String(format: "p50 %8.1f   p95 %8.1f   p99 %8.1f   max %8.1f ms   (n = %d)",
                   value.p50Ms, value.p95Ms, value.p99Ms, value.maxMs, value.count)
        }
        let measured = turnsMeasured.min().map { low in low == turnsMeasured.max() ? "\(low)" : "\(low)–\(turnsMeasured.max()!)" } ?? "0"
        var lines = [
            "load: \(sessions) voice sessions × \(turns) turns against \(url)\(timedOut ? "  (stopped at --max-seconds)" : "")",
            "sessions          started \(sessionsStarted), failed \(sessionsFailed), completed \(sessionsCompleted)",
            "failures          \(counts(failures))",
            "error events      \(counts(errorsByCode))",
            "end reasons       \(counts(endReasons))",
            "turns measured    \(measured) per session",
            "turn latency      \(latency(turnLatency))",
            "onset latency     \(latency(onsetLatency))",
            "detection lag     \(latency(detectionLatency))",
            String(format: "audio             %d frames sent (%.0f s of audio), %d skipped; longest gap between ticks %.1f ms (every %.1f ms)",
                   audioFramesSent, audioSeconds, audioFramesSkipped, longestTickGapMs, Double(tickMicroseconds) / 1000),
            String(format: "wall time         %.1f s; the load generator used %.2f s of CPU", wallSeconds, generatorCPUSeconds)
                + " on \(generatorThreads) thread\(generatorThreads == 1 ? "" : "s")",
        ]
        if let server {
            let mib = { (kib: Int) in String(format: "%.1f MiB", Double(kib) / 1024) }
            lines.append(String(format: "server CPU        %.2f s (%.0f %% of one core over the run)", server.cpuSeconds,
                                wallSeconds > 0 ? server.cpuSeconds / wallSeconds * 100 : 0))
            lines.append(String(format: "server CPU/audio  %.0f µs per second of audio per session", server.cpuMicrosecondsPerAudioSecond))
            lines.append(String(format: "server/generator  %.3f of the generator's CPU (the same work each run: a control for the machine's speed)",
                                server.cpuPerGeneratorCPU))
            lines.append("server memory     RSS before \(mib(server.rssBeforeKiB)), during \(mib(server.rssDuringKiB)), after \(mib(server.rssAfterKiB)), peak (VmHWM) \(mib(server.peakRSSKiB))")
            lines.append(String(format: "memory/session    %.0f KiB per live session", server.kibPerSession))
        }
        return lines.joined(separator: "\n")
    }
}

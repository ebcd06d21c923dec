import EngineClient
import Foundation
import Histogram

/// Plays many voice candidates at once against a running engine, all on one `LoadClient` thread, and measures
/// what each candidate would feel: how long the interviewer takes to ask again after `answer.done`, and how long
/// until the engine says it hears the candidate speak.
///
/// Each candidate opens the interview WebSocket with its token, starts a voice session, and for each of `turns`
/// questions keeps its microphone open (silence in real time), speaks `speech` after a short lead-in, sends its
/// transcript and `answer.done`, and waits for the next question; then it ends the session.
public final class LoadRun: LoadClientDelegate {
    /// How a candidate signs in: a bearer token, or why it could not get one (it then counts as failed).
    public enum SignIn: Sendable, Equatable {
        case token(String)
        case failed(String)
    }

    public struct Plan: Sendable {
        public var url: URL
        /// One per session.
        public var signIns: [SignIn]
        public var turns: Int
        public var speech: LoadSpeech
        public var track = "behavioural"
        /// Sessions connect evenly spread over this long (0: all at once).
        public var rampSeconds: Double = 0
        /// The run stops here whatever state the sessions are in.
        public var maxSeconds: Double = 900
        /// The engine's process, for its CPU and memory.
        public var serverPID: Int32?
        /// Each candidate consents to the recording of its audio (`"record": true` in `session.start`).
        public var record = false
        /// The candidates are split over this many generator threads, each with its own client: one thread playing
        /// 2,000 microphones needs most of a core, more than it gets beside a busy engine on the same machine.
        public var threads = 1
        /// How often the generator wakes to send the frames that are due. Each microphone keeps its own 20 ms clock
        /// (`MicrophoneClock`), so a tick much shorter than a frame spreads the candidates' frames over the period
        /// as independent clients would; a 20 ms tick sends every candidate's frame in one burst.
        public var tickMicroseconds = 2_000

        public init(url: URL, signIns: [SignIn], turns: Int, speech: LoadSpeech) {
            self.url = url
            self.signIns = signIns
            self.turns = turns
            self.speech = speech
        }

        /// One plan per thread, each with a contiguous share of the candidates (sizes differing by at most one).
        func shares() -> [Plan] {
            let count = min(threads, signIns.count)
            return (0..<count).map { index in
                var share = self
                share.signIns = Array(signIns[index * signIns.count / count..<(index + 1) * signIns.count / count])
                share.threads = 1
                return share
            }
        }
    }

    private enum Phase: Equatable {
        case waiting, connecting, starting
        /// Microphone open, nothing to say yet.
        case listening
        /// Speaking from microphone frame `atFrame` on.
        case speaking(atFrame: Int)
        /// `answer.done` queued; waiting for the next question.
        case answered
        /// `session.end` sent; waiting for the close.
        case ending
        case finished
    }

    private struct Candidate {
        var phase = Phase.waiting
        var started = false
        var ended = false
        /// Set when the session starts and the microphone opens.
        var microphone: MicrophoneClock?
        var turnsAnswered = 0
        var turnsMeasured = 0
        var answerDoneNs: UInt64?
        var onsetNs: UInt64?
        var confirmNs: UInt64?
    }

    private enum Marker: Int {
        case onset = 1, confirm, answerDone
    }

    /// A microphone that falls further behind than this drops the rest, as a real one would.
    private static let maxCatchUpFrames = 5
    /// Frames queued on one connection before its microphone drops them (one second of audio).
    private static let maxQueuedFrames = 50

    private let plan: Plan
    private let client: LoadClient
    private let progress: ((String) -> Void)?
    private var candidates: [Candidate]
    private var startNs: UInt64 = 0
    private var nextToConnect = 0
    private var finishedCount = 0
    private var nextProgressNs: UInt64 = 0
    private var nextSampleNs: UInt64 = 0
    private var timedOut = false
    private var lastTickNs: UInt64 = 0
    private var longestTickGapNs: UInt64 = 0

    private var turnLatency = LoadRun.histogram()
    private var onsetLatency = LoadRun.histogram()
    private var detectionLatency = LoadRun.histogram()
    private var failures: [String: Int] = [:]
    private var errorsByCode: [String: Int] = [:]
    private var endReasons: [String: Int] = [:]
    private var framesSent = 0
    private var framesSkipped = 0
    private var rssDuringKiB = 0

    private let silence = Data(count: LoadSpeech.frameBytes)
    private let sessionStart: [UInt8]
    private let transcriptFinal: [UInt8]?
    private static let answerDone = Array(#"{"type":"answer.done"}"#.utf8)
    private static let sessionEnd = Array(#"{"type":"session.end"}"#.utf8)

    private init(plan: Plan, progress: ((String) -> Void)?) throws {
        self.plan = plan
        self.progress = progress
        client = try LoadClient(url: plan.url, capacity: plan.signIns.count, tickMicroseconds: plan.tickMicroseconds)
        candidates = Array(repeating: Candidate(), count: plan.signIns.count)
        var start: [String: Any] = ["type": "session.start", "track": plan.track, "mode": "voice",
                                    "sample_rate": LoadSpeech.sampleRate, "protocol": 1]
        if plan.record { start["record"] = true }
        sessionStart = Self.json(start)
        transcriptFinal = plan.speech.transcript.map { Self.json(["type": "transcript.final", "text": $0]) }
    }

    /// Runs the plan to the end (every session finished, or `maxSeconds`) and reports. `progress` gets a status
    /// line every five seconds (from the first thread, for its share, when there are several).
    public static func run(_ plan: Plan, progress: ((String) -> Void)? = nil) throws -> LoadReport {
        precondition(plan.turns > 0 && !plan.signIns.isEmpty && plan.maxSeconds > 0 && plan.threads > 0)
        let shares = plan.shares()
        let label = shares.count == 1 ? "" : "thread 1 of \(shares.count): "
        let firstProgress = progress.map { report in { (line: String) in report(label + line) } }
        let runs = try shares.enumerated().map { index, share in
            try LoadRun(plan: share, progress: index == 0 ? firstProgress : nil)
        }
        let before = plan.serverPID.flatMap { ProcessUsage.read(pid: $0) }
        let ownBefore = ProcessUsage.read(pid: getpid())
        for run in runs { run.rssDuringKiB = before?.rssKiB ?? 0 }
        let started = LoadClient.nowNs()
        try runConcurrently(runs)
        let wallSeconds = Double(LoadClient.nowNs() - started) / 1e9
        let after = plan.serverPID.flatMap { ProcessUsage.read(pid: $0) }
        let ownCPU = (ProcessUsage.read(pid: getpid())?.cpuSeconds ?? 0) - (ownBefore?.cpuSeconds ?? 0)
        return report(of: runs, plan: plan, wallSeconds: wallSeconds, generatorCPUSeconds: ownCPU, before: before, after: after)
    }

    /// Runs each share on a thread of its own (the first on this one) until all of them are done. Each share connects
    /// its candidates over the whole ramp, so together they connect at the rate one thread would.
    private static func runConcurrently(_ runs: [LoadRun]) throws {
        final class Outcome: @unchecked Sendable {  // each run is touched by its own thread until the group is done
            let runs: [LoadRun]
            let lock = NSLock()
            var error: Error?
            init(_ runs: [LoadRun]) { self.runs = runs }
        }
        let outcome = Outcome(runs)
        let group = DispatchGroup()
        @Sendable func start(_ index: Int) {
            do {
                try outcome.runs[index].start()
            } catch {
                outcome.lock.withLock { outcome.error = outcome.error ?? error }
            }
        }
        for index in runs.indices.dropFirst() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                Thread.current.name = "jestry-load-\(index + 1)"  // set from inside: Linux names the running thread
                start(index)
            }
            thread.start()
        }
        start(0)
        group.wait()  // also when a share failed: no thread may still be using its run when this returns
        if let error = outcome.error { throw error }
    }

    private func start() throws {
        client.delegate = self
        try client.run()
    }

    // MARK: LoadClientDelegate

    public func loadClient(_ client: LoadClient, tickAtNs now: UInt64) {
        if startNs == 0 {
            startNs = now
            nextProgressNs = now + 5_000_000_000
        }
        if lastTickNs > 0 { longestTickGapNs = max(longestTickGapNs, now - lastTickNs) }
        lastTickNs = now
        if now >= startNs + UInt64(plan.maxSeconds * 1e9) {
            timedOut = finishedCount < candidates.count
            for candidate in candidates where !candidate.started && candidate.phase != .finished { failures["not started within --max-seconds", default: 0] += 1 }
            client.stop()
            return
        }
        connectDue(now)
        for id in candidates.indices { stream(id, now) }
        if let pid = plan.serverPID, now >= nextSampleNs {
            nextSampleNs = now + 500_000_000
            if let usage = ProcessUsage.read(pid: pid) { rssDuringKiB = max(rssDuringKiB, usage.rssKiB) }
        }
        if now >= nextProgressNs {
            nextProgressNs = now + 5_000_000_000
            reportProgress(now)
        }
        if finishedCount == candidates.count { client.stop() }
    }

    public func loadClient(_ client: LoadClient, opened id: Int) {
        candidates[id].phase = .starting
        client.send(id, text: sessionStart)
    }

    public func loadClient(_ client: LoadClient, failed id: Int, status: Int?, message: String) {
        fail(id, status.map { "HTTP \($0)" } ?? message)
    }

    public func loadClient(_ client: LoadClient, connection id: Int, receivedText bytes: UnsafeRawBufferPointer) {
        let now = LoadClient.nowNs()
        switch Self.eventType(bytes) {
        case "session.started":
            candidates[id].started = true
            candidates[id].phase = .listening
            candidates[id].microphone = MicrophoneClock(openedAtNs: now, maxCatchUp: Self.maxCatchUpFrames)
        case "question":
            question(id, now)
        case "speech.started":
            if let onset = candidates[id].onsetNs {
                _ = onsetLatency.record((now - onset) / 1_000)
                candidates[id].onsetNs = nil
            }
            if let confirm = candidates[id].confirmNs {
                _ = detectionLatency.record(now > confirm ? (now - confirm) / 1_000 : 0)
                candidates[id].confirmNs = nil
            }
        case "session.ended":
            candidates[id].ended = true
            endReasons[Self.field("reason", in: bytes) ?? "?", default: 0] += 1
            candidates[id].phase = .ending
        case "error":
            let code = Self.field("code", in: bytes) ?? "?"
            errorsByCode[code, default: 0] += 1
            if case .starting = candidates[id].phase {
                // Refused before it began (no minutes, too many sessions): it would only wait for --max-seconds.
                fail(id, "session.start refused: \(code)")
                client.close(id)
            }
        default:
            break
        }
    }

    public func loadClient(_ client: LoadClient, connection id: Int, wroteMarker marker: Int, atNs: UInt64) {
        switch Marker(rawValue: marker) {
        case .onset: candidates[id].onsetNs = atNs
        case .confirm: candidates[id].confirmNs = atNs
        case .answerDone: candidates[id].answerDoneNs = atNs
        case nil: break
        }
    }

    public func loadClient(_ client: LoadClient, closed id: Int, code: UInt16?) {
        if case .finished = candidates[id].phase { return }
        if !candidates[id].started {
            fail(id, "closed before session.started" + (code.map { " (\($0))" } ?? ""))
        } else {
            finish(id)
        }
    }

    // MARK: Candidates

    private func connectDue(_ now: UInt64) {
        let count = plan.signIns.count
        while nextToConnect < count {
            let dueNs = startNs + UInt64(plan.rampSeconds * 1e9 * Double(nextToConnect) / Double(count))
            guard dueNs <= now else { return }
            let id = nextToConnect
            nextToConnect += 1
            switch plan.signIns[id] {
            case .token(let token):
                candidates[id].phase = .connecting
                client.connect(id, bearer: token)
            case .failed(let reason):
                fail(id, reason)
            }
        }
    }

    /// The microphone: every frame due since it opened, silence or the answer, paced by the clock.
    private func stream(_ id: Int, _ now: UInt64) {
        switch candidates[id].phase {
        case .listening, .speaking, .answered: break
        default: return
        }
        guard let due = candidates[id].microphone?.due(at: now), due.send > 0 else { return }
        framesSkipped += due.dropped
        let speech = plan.speech
        for frame in due.first..<due.first + due.send {
            var index: Int?
            if case .speaking(let from) = candidates[id].phase, frame >= from { index = frame - from }
            if client.queued(id) >= Self.maxQueuedFrames {
                // The socket is not taking frames (the server is not reading): drop, as a real microphone would.
                framesSkipped += 1
            } else if let index {
                let marker: Marker? = index == speech.onsetFrame ? .onset : index == speech.confirmFrame ? .confirm : nil
                client.send(id, binary: speech.frames[index], marker: marker?.rawValue ?? 0)
                framesSent += 1
            } else {
                client.send(id, binary: silence)
                framesSent += 1
            }
            if index == speech.frames.count - 1 {
                if let transcriptFinal { client.send(id, text: transcriptFinal) }
                client.send(id, text: Self.answerDone, marker: Marker.answerDone.rawValue)
                candidates[id].turnsAnswered += 1
                candidates[id].phase = .answered
            }
        }
    }

    private func question(_ id: Int, _ now: UInt64) {
        if case .answered = candidates[id].phase, let sent = candidates[id].answerDoneNs {
            _ = turnLatency.record((now - sent) / 1_000)
            candidates[id].turnsMeasured += 1
            candidates[id].answerDoneNs = nil
        }
        switch candidates[id].phase {
        case .listening, .answered:
            if candidates[id].turnsAnswered >= plan.turns {
                client.send(id, text: Self.sessionEnd)
                candidates[id].phase = .ending
            } else {
                candidates[id].phase = .speaking(atFrame: (candidates[id].microphone?.frames ?? 0) + LoadSpeech.leadInFrames)
            }
        default:
            break
        }
    }

    private func fail(_ id: Int, _ reason: String) {
        failures[reason, default: 0] += 1
        finish(id)
    }

    private func finish(_ id: Int) {
        if case .finished = candidates[id].phase { return }
        candidates[id].phase = .finished
        finishedCount += 1
    }

    private func reportProgress(_ now: UInt64) {
        let started = candidates.filter(\.started).count
        let turns = candidates.reduce(0) { $0 + $1.turnsMeasured }
        let errors = errorsByCode.values.reduce(0, +)
        progress?("\((now - startNs) / 1_000_000_000) s: connected \(nextToConnect)/\(candidates.count), started \(started), "
                  + "finished \(finishedCount), turns \(turns), failures \(failures.values.reduce(0, +)), error events \(errors)")
    }

    /// One report over every thread's share.
    private static func report(of runs: [LoadRun], plan: Plan, wallSeconds: Double, generatorCPUSeconds: Double,
                               before: ProcessUsage?, after: ProcessUsage?) -> LoadReport {
        let candidates = runs.flatMap(\.candidates)
        func sum(_ counts: KeyPath<LoadRun, [String: Int]>) -> [String: Int] {
            runs.reduce(into: [:]) { total, run in total.merge(run[keyPath: counts], uniquingKeysWith: +) }
        }
        func merged(_ histogram: KeyPath<LoadRun, Histogram<UInt64>>) -> Histogram<UInt64> {
            runs.dropFirst().reduce(into: runs[0][keyPath: histogram]) { total, run in total.add(run[keyPath: histogram]) }
        }
        let framesSent = runs.reduce(0) { $0 + $1.framesSent }
        let audioSeconds = Double(framesSent) * 0.02
        let rssDuringKiB = runs.map(\.rssDuringKiB).max() ?? 0
        var server: LoadReport.Server?
        if let pid = plan.serverPID, let before, let after {
            let cpu = after.cpuSeconds - before.cpuSeconds
            server = LoadReport.Server(
                pid: pid, cpuSeconds: cpu, rssBeforeKiB: before.rssKiB, rssDuringKiB: max(rssDuringKiB, after.rssKiB),
                rssAfterKiB: after.rssKiB, peakRSSKiB: after.peakRSSKiB,
                cpuMicrosecondsPerAudioSecond: audioSeconds > 0 ? cpu * 1e6 / audioSeconds : 0,
                kibPerSession: Double(max(rssDuringKiB, after.rssKiB) - before.rssKiB) / Double(candidates.count),
                cpuPerGeneratorCPU: generatorCPUSeconds > 0 ? cpu / generatorCPUSeconds : 0)
        }
        return LoadReport(
            url: plan.url.absoluteString, sessions: candidates.count, turns: plan.turns, generatorThreads: runs.count,
            sessionsStarted: candidates.filter(\.started).count,
            sessionsFailed: candidates.filter { !$0.started }.count,
            sessionsCompleted: candidates.filter { $0.ended && $0.turnsMeasured >= plan.turns }.count,
            failures: sum(\.failures), errorsByCode: sum(\.errorsByCode), endReasons: sum(\.endReasons),
            turnsMeasured: candidates.map(\.turnsMeasured),
            turnLatency: .init(merged(\.turnLatency)), onsetLatency: .init(merged(\.onsetLatency)),
            detectionLatency: .init(merged(\.detectionLatency)),
            audioFramesSent: framesSent, audioSeconds: audioSeconds,
            audioFramesSkipped: runs.reduce(0) { $0 + $1.framesSkipped },
            tickMicroseconds: plan.tickMicroseconds, longestTickGapMs: Double(runs.map(\.longestTickGapNs).max() ?? 0) / 1e6,
            wallSeconds: wallSeconds, generatorCPUSeconds: generatorCPUSeconds, timedOut: runs.contains(where: \.timedOut),
            server: server)
    }

    // MARK: Messages

    /// Microseconds, up to ten minutes, three significant digits.
    private static func histogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    private static func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    /// The top-level `"type"` of an event, found without decoding it: `feedback.live` arrives four times a second
    /// per session, and all that matters about most events is their type.
    static func eventType(_ bytes: UnsafeRawBufferPointer) -> String? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var depth = 0
        var index = 0
        var previousString: Range<Int>?
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote {
                let start = index + 1
                index = start
                while index < bytes.count, bytes[index] != quote {
                    index += bytes[index] == backslash ? 2 : 1
                }
                let string = start..<min(index, bytes.count)
                if depth == 1, let key = previousString, Self.equals(bytes, key, "type") {
                    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[string]), as: UTF8.self)
                }
                previousString = string
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                previousString = nil
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                previousString = nil
            case UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                break
            default:
                previousString = nil
            }
            index += 1
        }
        return nil
    }

    private static func equals(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        return text.withUTF8Buffer { expected in zip(range, expected).allSatisfy { bytes[$0] == $1 } }
    }

    /// A top-level string field of a rare event (errors, the end), decoded in full.
    private static func field(_ name: String, in bytes: UnsafeRawBufferPointer) -> String? {
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        return object?[name] as? String
    }
}

import Audio
import EngineClient
import Foundation

/// Plays a `BotScript` over a real interview WebSocket and records what happened.
public struct BotRunner {
    /// One line of the interview as the bot saw it.
    public enum Line: Sendable, Equatable {
        case started(sessionID: String)
        case question(id: String, kind: String, template: String, text: String)
        case answer(text: String)
        case feedback(wordCount: Int, fillerCount: Int)
        case billing(balanceMs: Int64)
        case billingWarning(remainingMs: Int64)
        case ended(reason: String, summary: String, closing: String?)
        case error(code: String, message: String, fatal: Bool)
        case closed(code: UInt16?)
        case speech(started: Bool, audioMs: Int64)
        case turnEnded(questionID: String, reason: String)
        case scored(questionID: String, overall: Int, improvement: String)
        case nudge(text: String)
        /// The model's written report after the end (`report.written`); nil summary when none came.
        case reportWritten(summary: String?, practise: [String])
    }

    public let script: BotScript
    /// Folder that audio paths in the script are relative to.
    public let scriptFolder: URL
    /// Called for each line as it happens (the CLI prints them).
    public var onLine: (Line) -> Void = { _ in }
    /// Longest wait for the server before giving up.
    public var receiveTimeout: TimeInterval = 30
    /// Plays the candidate instead of the script's answers (a model with a persona, `jestry bot --persona`): the
    /// question asked, the conversation so far → the answer, or nil to end the session. The script then gives
    /// only the track, the mode and how many answers at most (`answers.count`).
    public var answerer: ((_ question: String, _ conversation: [(question: String, answer: String)]) -> String?)?

    public init(script: BotScript, scriptFolder: URL) {
        self.script = script
        self.scriptFolder = scriptFolder
    }

    /// Events read while the bot was busy answering, handled before reading more.
    private final class Backlog {
        var events: [WebSocketClient.Event] = []
    }
    private let backlog = Backlog()

    private func nextEvent(_ client: WebSocketClient) throws -> WebSocketClient.Event {
        if !backlog.events.isEmpty { return backlog.events.removeFirst() }
        return try client.receive(timeout: receiveTimeout)
    }

    /// Runs the whole interview; returns every line in order.
    public func run(on client: WebSocketClient) throws -> [Line] {
        var lines: [Line] = []
        func record(_ line: Line) {
            lines.append(line)
            onLine(line)
        }
        var start: [String: Any] = ["type": "session.start", "id": "start", "track": script.track, "protocol": 1,
                                    "mode": script.mode ?? "text"]
        if let rate = script.sampleRate { start["sample_rate"] = rate }
        if script.record == true { start["record"] = true }
        client.send(text: try Self.json(start))
        var nextAnswer = 0
        var conversation: [(question: String, answer: String)] = []
        var sampleRate = script.sampleRate ?? 16_000
        while true {
            let event = try nextEvent(client)
            guard case .text(let text) = event else {
                if case .closed(let code, _) = event {
                    record(.closed(code: code))
                    return lines
                }
                continue
            }
            let message = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            switch message["type"] as? String {
            case "session.started":
                sampleRate = message["sample_rate"] as? Int ?? sampleRate
                record(.started(sessionID: message["session_id"] as? String ?? ""))
            case "question":
                record(.question(id: message["question_id"] as? String ?? "", kind: message["kind"] as? String ?? "",
                                 template: (message["template"] as? [String: Any])?["id"] as? String ?? "",
                                 text: message["text"] as? String ?? ""))
                let questionText = message["text"] as? String ?? ""
                if let answerer {
                    guard nextAnswer < script.answers.count, let text = answerer(questionText, conversation) else {
                        client.send(text: try Self.json(["type": "session.end"]))
                        continue
                    }
                    nextAnswer += 1
                    conversation.append((questionText, text))
                    try give(BotScript.Answer(text: text), on: client, sampleRate: sampleRate, record: record)
                    continue
                }
                if nextAnswer >= script.answers.count, script.whenOutOfAnswers != .repeatLast || script.answers.isEmpty {
                    client.send(text: try Self.json(["type": "session.end"]))
                    continue
                }
                let answer = script.answers[min(nextAnswer, script.answers.count - 1)]
                nextAnswer += 1
                try give(answer, on: client, sampleRate: sampleRate, record: record)
            case "feedback.live":
                record(.feedback(wordCount: message["word_count"] as? Int ?? 0, fillerCount: message["filler_count"] as? Int ?? 0))
            case "billing.updated":
                record(.billing(balanceMs: (message["balance_ms"] as? NSNumber)?.int64Value ?? 0))
            case "billing.warning":
                record(.billingWarning(remainingMs: (message["remaining_ms"] as? NSNumber)?.int64Value ?? 0))
            case "session.ended":
                let summary = (message["summary"] as? [String: Any])?["text"] as? String ?? ""
                record(.ended(reason: message["reason"] as? String ?? "", summary: summary, closing: message["closing"] as? String))
            case "report.written":
                let available = message["available"] as? Bool == true
                record(.reportWritten(summary: available ? message["summary"] as? String : nil,
                                      practise: available ? message["practise"] as? [String] ?? [] : []))
            case "speech.started", "speech.stopped":
                record(.speech(started: message["type"] as? String == "speech.started",
                               audioMs: (message["audio_ms"] as? NSNumber)?.int64Value ?? 0))
            case "turn.ended":
                record(.turnEnded(questionID: message["question_id"] as? String ?? "", reason: message["reason"] as? String ?? ""))
            case "answer.scored":
                let improvement = (message["improvement"] as? [String: Any])?["text"] as? String ?? ""
                record(.scored(questionID: message["question_id"] as? String ?? "", overall: message["overall"] as? Int ?? 0,
                               improvement: improvement))
            case "nudge":
                record(.nudge(text: message["text"] as? String ?? ""))
            case "error":
                let fatal = message["fatal"] as? Bool ?? false
                record(.error(code: message["code"] as? String ?? "", message: message["message"] as? String ?? "", fatal: fatal))
                if fatal || message["id"] as? String == "start" {
                    client.close()
                }
            default:
                break
            }
        }
    }

    private func give(_ answer: BotScript.Answer, on client: WebSocketClient, sampleRate: Int,
                      record: (Line) -> Void) throws {
        var answer = answer
        answer.text = answer.text?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let pause = answer.pause, pause > 0 { Thread.sleep(forTimeInterval: pause) }
        if let audio = answer.audio {
            let wav = try WAVFile(contentsOf: scriptFolder.appendingPathComponent(audio)).resampled(to: sampleRate)
            if let text = answer.text, !text.isEmpty { record(.answer(text: text)) }
            try stream(wav, transcript: answer.text ?? "", on: client)
            // The engine ends a spoken turn itself after the track's silence; keep the line open (silent frames,
            // as a live microphone would) until it does, and only then fall back to answer.done.
            if try !streamSilence(sampleRate: sampleRate, seconds: 10, on: client, until: "turn.ended") {
                client.send(text: try Self.json(["type": "answer.done"]))
            }
            return
        }
        if let text = answer.text, !text.isEmpty {
            client.send(text: try Self.json(["type": "answer.text", "text": text]))
            record(.answer(text: text))
        }
        if let silence = answer.silence, silence > 0 { Thread.sleep(forTimeInterval: silence) }
        client.send(text: try Self.json(["type": "answer.done"]))
    }

    /// Sends 20 ms frames of silence in real time for up to `seconds`, stopping early when an event of type `until`
    /// arrives (it stays queued for the main loop). Returns whether it arrived.
    private func streamSilence(sampleRate: Int, seconds: Double, on client: WebSocketClient, until type: String) throws -> Bool {
        let frame = Data(count: sampleRate / 50 * 2)
        let started = Date()
        var index = 0
        while Date().timeIntervalSince(started) < seconds {
            client.send(binary: frame)
            index += 1
            let wait = started.addingTimeInterval(Double(index) * 0.02).timeIntervalSinceNow
            if wait > 0, let event = try? client.receive(timeout: wait) {
                backlog.events.append(event)
                if case .text(let text) = event,
                   let message = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                   message["type"] as? String == type { return true }
                if case .closed = event { return true }
            }
        }
        return false
    }

    /// Streams audio in 20 ms frames at real-time pace, with a growing partial transcript once a second.
    private func stream(_ wav: WAVFile, transcript: String, on client: WebSocketClient) throws {
        let frames = wav.frames(milliseconds: 20)
        let words = transcript.split(separator: " ")
        let started = Date()
        for (index, frame) in frames.enumerated() {
            client.send(binary: frame)
            if index % 50 == 49, !words.isEmpty {
                let spoken = words.prefix(max(1, words.count * (index + 1) / frames.count)).joined(separator: " ")
                client.send(text: try Self.json(["type": "transcript.partial", "text": spoken]))
            }
            let due = started.addingTimeInterval(Double(index + 1) * 0.02)
            let wait = due.timeIntervalSinceNow
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
        if !transcript.isEmpty {
            client.send(text: try Self.json(["type": "transcript.final", "text": transcript]))
        }
    }

    static func json(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

extension BotRunner.Line: CustomStringConvertible {
    /// How the CLI prints the line: a readable transcript.
    public var description: String {
        switch self {
        case .started(let id): "— session \(id) started"
        case .question(let id, let kind, let template, let text): "Interviewer [\(id), \(kind), \(template)]: \(text)"
        case .answer(let text): "Candidate: \(text)"
        case .feedback(let words, let fillers): "  · live feedback: \(words) words, \(fillers) fillers"
        case .billing(let balance): "  · balance: \(String(format: "%.2f", Double(balance) / 60_000)) min"
        case .billingWarning(let remaining): "  ! \(remaining / 1000) s of practice time left"
        case .ended(let reason, let summary, let closing):
            (closing.map { "Interviewer: \($0)\n" } ?? "") + "— session ended (\(reason)): \(summary)"
        case .error(let code, let message, let fatal): "  ! error \(code)\(fatal ? " (fatal)" : ""): \(message)"
        case .closed(let code): "— connection closed\(code.map { " (\($0))" } ?? "")"
        case .speech(let started, let audioMs): "  · speech \(started ? "started" : "stopped") at \(audioMs) ms"
        case .turnEnded(let id, let reason): "  · turn \(id) ended (\(reason))"
        case .scored(let id, let overall, let improvement): "  · \(id) scored \(overall)/100; to improve: \(improvement)"
        case .nudge(let text): "Interviewer (nudge): \(text)"
        case .reportWritten(let summary?, let practise):
            "Interviewer's notes: \(summary)" + practise.map { "\n  - \($0)" }.joined()
        case .reportWritten(nil, _): "— no written report"
        }
    }
}

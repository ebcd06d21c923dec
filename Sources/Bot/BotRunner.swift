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
    }

    public let script: BotScript
    /// Folder that audio paths in the script are relative to.
    public let scriptFolder: URL
    /// Called for each line as it happens (the CLI prints them).
    public var onLine: (Line) -> Void = { _ in }
    /// Longest wait for the server before giving up.
    public var receiveTimeout: TimeInterval = 30

    public init(script: BotScript, scriptFolder: URL) {
        self.script = script
        self.scriptFolder = scriptFolder
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
        client.send(text: try Self.json(start))
        var nextAnswer = 0
        while true {
            let event = try client.receive(timeout: receiveTimeout)
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
                record(.started(sessionID: message["session_id"] as? String ?? ""))
            case "question":
                record(.question(id: message["question_id"] as? String ?? "", kind: message["kind"] as? String ?? "",
                                 template: (message["template"] as? [String: Any])?["id"] as? String ?? "",
                                 text: message["text"] as? String ?? ""))
                if nextAnswer >= script.answers.count, script.whenOutOfAnswers != .repeatLast || script.answers.isEmpty {
                    client.send(text: try Self.json(["type": "session.end"]))
                    continue
                }
                let answer = script.answers[min(nextAnswer, script.answers.count - 1)]
                nextAnswer += 1
                try give(answer, on: client, record: record)
            case "feedback.live":
                record(.feedback(wordCount: message["word_count"] as? Int ?? 0, fillerCount: message["filler_count"] as? Int ?? 0))
            case "billing.updated":
                record(.billing(balanceMs: (message["balance_ms"] as? NSNumber)?.int64Value ?? 0))
            case "billing.warning":
                record(.billingWarning(remainingMs: (message["remaining_ms"] as? NSNumber)?.int64Value ?? 0))
            case "session.ended":
                let summary = (message["summary"] as? [String: Any])?["text"] as? String ?? ""
                record(.ended(reason: message["reason"] as? String ?? "", summary: summary, closing: message["closing"] as? String))
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

    private func give(_ answer: BotScript.Answer, on client: WebSocketClient, record: (Line) -> Void) throws {
        var answer = answer
        answer.text = answer.text?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let pause = answer.pause, pause > 0 { Thread.sleep(forTimeInterval: pause) }
        if let audio = answer.audio {
            let wav = try WAVFile(contentsOf: scriptFolder.appendingPathComponent(audio))
            try stream(wav, transcript: answer.text ?? "", on: client)
        } else if let text = answer.text, !text.isEmpty {
            client.send(text: try Self.json(["type": "answer.text", "text": text]))
        }
        if let text = answer.text, !text.isEmpty { record(.answer(text: text)) }
        if let silence = answer.silence, silence > 0 { Thread.sleep(forTimeInterval: silence) }
        client.send(text: try Self.json(["type": "answer.done"]))
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
        }
    }
}

import Foundation

/// Where a question came from: the template's id and the hash of its content when it produced the question.
public struct TemplateRef: Sendable, Equatable, Codable, Hashable {
    public var id: String
    public var version: String
    public init(id: String, version: String) {
        self.id = id
        self.version = version
    }
}

public enum QuestionKind: String, Sendable, Equatable, Codable {
    case main
    case followUp = "follow_up"
}

/// Why a session ended; values are part of the public protocol.
public enum SessionEndReason: String, Sendable, Equatable, Codable {
    case completed
    case balanceExhausted = "balance_exhausted"
    case clientEnded = "client_ended"
    /// The connection went away mid-interview.
    case disconnected
    case idle
    case error
    /// The server is restarting (it was draining and the drain time ran out): resume or start again; another node
    /// will take the interview.
    case serverRestarting = "server_restarting"
}

/// Who turns the candidate's speech into text in a session (`transcription` in `session.started`).
public enum TranscriptionSource: String, Sendable, Equatable, Codable {
    /// The engine's own transcriber: the client gets `transcript` events and need not run a recogniser.
    case engine
    /// The client sends `transcript.partial`/`transcript.final` from its own recogniser (or types).
    case client
}

/// The engine's transcription during a session, when it changes (`transcription.status`).
public enum TranscriptionState: String, Sendable, Equatable, Codable {
    /// Transcripts come from the engine again.
    case engine
    /// The engine could not transcribe the last stretch of speech (its transcriber is down, slow or busy).
    case unavailable
}

public struct SessionStarted: Sendable, Equatable, Codable {
    public var sessionID: String
    public var protocolVersion: Int
    public var trackID: String
    public var trackTitle: String
    public var mode: InterviewMode
    public var sampleRate: Int
    public var mainQuestionCount: Int
    public var balanceMs: Int64
    /// Present to a dropped connection's successor as proof in `session.resume`; keep it private.
    public var resumeToken: String?
    public var transcription: TranscriptionSource = .client
    /// Who words the follow-ups: a model (with the templates as the floor) or the templates alone.
    public var interviewer: InterviewerKind = .template

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id", protocolVersion = "protocol", trackID = "track", trackTitle = "track_title"
        case mode, sampleRate = "sample_rate", mainQuestionCount = "question_count", balanceMs = "balance_ms"
        case resumeToken = "resume_token", transcription, interviewer
    }
}

public struct QuestionAsked: Sendable, Equatable, Codable {
    public var questionID: String
    public var number: Int
    public var kind: QuestionKind
    public var text: String
    public var template: TemplateRef
    /// 1-based position of the main question this belongs to.
    public var mainNumber: Int
    public var targetSeconds: Int
    /// Whether a model worded it or it is the template's own text, and which model.
    public var source: QuestionSource = .template
    public var modelName: String? = nil

    enum CodingKeys: String, CodingKey {
        case questionID = "question_id", number, kind, text, template, mainNumber = "main_number"
        case targetSeconds = "target_seconds", source, modelName = "model"
    }
}

public struct LiveFeedback: Sendable, Equatable, Codable {
    public enum Pace: String, Sendable, Equatable, Codable {
        case unknown, slow, good, fast
    }
    public var questionID: String
    public var elapsedMs: Int64
    public var targetMs: Int64
    public var wordCount: Int
    /// Nil until enough has been said to measure a pace.
    public var wordsPerMinute: Int?
    public var pace: Pace
    public var fillerCount: Int
    public var fillersPer100Words: Double
    public var fillers: [String: Int]
    public var audioMs: Int64
    public var timeLimitMs: Int64 = 0
    public var speakingMs: Int64 = 0
    public var hedges: [String: Int] = [:]
    public var longPauses = 0
    public var starParts: [AnswerAnalysis.StarPart] = []
    public var specifics = LiveSpecifics(numbers: false, named: [], outcome: false)
    public var iCount = 0
    public var weCount = 0
    public var clipping = false
    public var tip: CoachingTip?

    enum CodingKeys: String, CodingKey {
        case questionID = "question_id", elapsedMs = "elapsed_ms", targetMs = "target_ms", wordCount = "word_count"
        case wordsPerMinute = "words_per_minute", pace, fillerCount = "filler_count"
        case fillersPer100Words = "fillers_per_100_words", fillers, audioMs = "audio_ms", timeLimitMs = "time_limit_ms"
        case speakingMs = "speaking_ms", hedges, longPauses = "long_pauses", starParts = "star_parts", specifics
        case iCount = "i_count", weCount = "we_count", clipping, tip
    }

    /// The event's fields in wire order, with `null` for an unmeasured pace (words per minute) and for no tip.
    /// The wire itself is written by `writeFields(to:)`; this conformance is what any `Encoder` gets, and what the
    /// tests hold that writing to.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(questionID, forKey: .questionID)
        try container.encode(elapsedMs, forKey: .elapsedMs)
        try container.encode(targetMs, forKey: .targetMs)
        try container.encode(wordCount, forKey: .wordCount)
        try container.encode(wordsPerMinute, forKey: .wordsPerMinute)  // explicit null, so clients see the field
        try container.encode(pace, forKey: .pace)
        try container.encode(fillerCount, forKey: .fillerCount)
        try container.encode(fillersPer100Words, forKey: .fillersPer100Words)
        try container.encode(fillers, forKey: .fillers)
        try container.encode(audioMs, forKey: .audioMs)
        try container.encode(timeLimitMs, forKey: .timeLimitMs)
        try container.encode(speakingMs, forKey: .speakingMs)
        try container.encode(hedges, forKey: .hedges)
        try container.encode(longPauses, forKey: .longPauses)
        try container.encode(starParts, forKey: .starParts)
        try container.encode(specifics, forKey: .specifics)
        try container.encode(iCount, forKey: .iCount)
        try container.encode(weCount, forKey: .weCount)
        try container.encode(clipping, forKey: .clipping)
        try container.encode(tip, forKey: .tip)  // null when there is no tip
    }

    /// Writes the same fields as `encode(to:)`, in the same order, into an object the caller has opened: this is
    /// how `feedback.live` goes on the wire, without an `Encoder`'s generic dispatch per field.
    func writeFields(to writer: inout JSONWriter) throws(JSONWriter.NonFiniteNumber) {
        writer.key("question_id"); writer.string(questionID)
        writer.key("elapsed_ms"); writer.int(elapsedMs)
        writer.key("target_ms"); writer.int(targetMs)
        writer.key("word_count"); writer.int(wordCount)
        writer.key("words_per_minute"); writer.int(wordsPerMinute)
        writer.key("pace"); writer.string(pace.rawValue)
        writer.key("filler_count"); writer.int(fillerCount)
        writer.key("fillers_per_100_words"); try writer.double(fillersPer100Words)
        writer.key("fillers"); writer.object(fillers)
        writer.key("audio_ms"); writer.int(audioMs)
        writer.key("time_limit_ms"); writer.int(timeLimitMs)
        writer.key("speaking_ms"); writer.int(speakingMs)
        writer.key("hedges"); writer.object(hedges)
        writer.key("long_pauses"); writer.int(longPauses)
        writer.key("star_parts")
        writer.beginArray()
        for part in starParts { writer.string(part.rawValue) }
        writer.endArray()
        writer.key("specifics")
        writer.beginObject()
        writer.key("numbers"); writer.bool(specifics.numbers)
        writer.key("named")
        writer.beginArray()
        for name in specifics.named { writer.string(name) }
        writer.endArray()
        writer.key("outcome"); writer.bool(specifics.outcome)
        writer.endObject()
        writer.key("i_count"); writer.int(iCount)
        writer.key("we_count"); writer.int(weCount)
        writer.key("clipping"); writer.bool(clipping)
        writer.key("tip")
        if let tip {
            writer.beginObject()
            writer.key("id"); writer.string(tip.id)
            writer.key("text"); writer.string(tip.text)
            writer.endObject()
        } else {
            writer.null()
        }
    }
}

/// Why the candidate's turn ended.
public enum TurnEndReason: String, Sendable, Equatable, Codable {
    /// The client sent `answer.done`.
    case answerDone = "answer_done"
    /// Silence after speech lasted the track's `silence_seconds`.
    case silence
    /// The answer reached the track's time limit.
    case timeLimit = "time_limit"
}

/// What the client needs to know about one coaching moment beyond the counters.
public struct LiveSpecifics: Sendable, Equatable, Codable {
    public var numbers: Bool
    public var named: [String]
    public var outcome: Bool
}

public struct BillingUpdate: Sendable, Equatable, Codable {
    public var balanceMs: Int64
    /// Milliseconds of this session metered so far.
    public var sessionUsedMs: Int64
    enum CodingKeys: String, CodingKey {
        case balanceMs = "balance_ms", sessionUsedMs = "session_used_ms"
    }
}

/// The short summary sent with `session.ended` and stored with the session.
public struct SessionSummary: Sendable, Equatable, Codable {
    public var questionsAsked: Int
    public var answersGiven: Int
    public var followUpsAsked: Int
    public var totalWords: Int
    public var averageWordsPerMinute: Int?
    public var fillerCount: Int
    public var usedMs: Int64
    public var text: String

    public init(questionsAsked: Int = 0, answersGiven: Int = 0, followUpsAsked: Int = 0, totalWords: Int = 0,
                averageWordsPerMinute: Int? = nil, fillerCount: Int = 0, usedMs: Int64 = 0, text: String = "") {
        self.questionsAsked = questionsAsked
        self.answersGiven = answersGiven
        self.followUpsAsked = followUpsAsked
        self.totalWords = totalWords
        self.averageWordsPerMinute = averageWordsPerMinute
        self.fillerCount = fillerCount
        self.usedMs = usedMs
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case questionsAsked = "questions_asked", answersGiven = "answers_given", followUpsAsked = "follow_ups_asked"
        case totalWords = "total_words", averageWordsPerMinute = "average_words_per_minute"
        case fillerCount = "filler_count", usedMs = "used_ms", text
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(questionsAsked, forKey: .questionsAsked)
        try container.encode(answersGiven, forKey: .answersGiven)
        try container.encode(followUpsAsked, forKey: .followUpsAsked)
        try container.encode(totalWords, forKey: .totalWords)
        try container.encode(averageWordsPerMinute, forKey: .averageWordsPerMinute)  // null when unknown, as in feedback
        try container.encode(fillerCount, forKey: .fillerCount)
        try container.encode(usedMs, forKey: .usedMs)
        try container.encode(text, forKey: .text)
    }
}

public struct SessionEnded: Sendable, Equatable, Codable {
    public var reason: SessionEndReason
    public var summary: SessionSummary
    /// The interviewer's closing words (from the track's closing template), when the interview ran its course.
    public var closing: String?
    /// Scores per answer, the trend and what to practise.
    public var report: SessionReport?
    /// True when the session's model is writing the report's words: a `report.written` event follows before the
    /// connection closes.
    public var writtenReportPending: Bool?

    public init(reason: SessionEndReason, summary: SessionSummary, closing: String? = nil, report: SessionReport? = nil,
                writtenReportPending: Bool? = nil) {
        self.reason = reason
        self.summary = summary
        self.closing = closing
        self.report = report
        self.writtenReportPending = writtenReportPending
    }

    enum CodingKeys: String, CodingKey {
        case reason, summary, closing, report
        case writtenReportPending = "written_report_pending"
    }
}

/// One event the server sends as a text frame. The wire `type` is `ServerMessage.type`.
public enum ServerMessage: Sendable, Equatable {
    case sessionStarted(SessionStarted, replyTo: String?)
    /// The session is back on this connection, with the token for the next resume; the open question follows as a
    /// `question` event.
    case sessionResumed(sessionID: String, balanceMs: Int64, resumeToken: String?, replyTo: String?)
    case question(QuestionAsked)
    case feedbackLive(LiveFeedback)
    case billingUpdated(BillingUpdate)
    case billingWarning(remainingMs: Int64)
    case sessionEnded(SessionEnded)
    case error(ProtocolError)
    /// The detector heard speech start or stop, at this many milliseconds into the session's audio.
    case speechStarted(audioMs: Int64)
    case speechStopped(audioMs: Int64)
    case turnEnded(questionID: String, reason: TurnEndReason)
    case answerScored(AnswerScore)
    /// A gentle prompt after a long silence; `number` counts from 1.
    case nudge(questionID: String, number: Int, text: String)
    /// The answer's time limit is near.
    case answerTimeWarning(questionID: String, remainingMs: Int64)
    /// The candidate spoke while the question was being read aloud: stop reading it.
    case playbackStop(questionID: String, reason: String)
    /// The engine's transcript of the candidate's speech: interim (`isFinal` false, replaced by the next one) while a
    /// stretch of speech runs, final when it has ended.
    case transcript(questionID: String, text: String, isFinal: Bool)
    /// The engine's transcription stopped or started working again in this session.
    case transcriptionStatus(TranscriptionState, message: String)
    /// The turn for `afterQuestionID` has ended and the interviewer is wording the next question; it follows as
    /// a `question` event within `budgetMs`.
    case interviewerThinking(afterQuestionID: String, budgetMs: Int64)
    /// After `session.ended` with `written_report_pending`: the model's summary and three things to practise, or
    /// nil when they did not come (failed, rejected, or later than the wait); the connection then closes.
    case reportWritten(WrittenReport?)

    public var type: String {
        switch self {
        case .sessionStarted: "session.started"
        case .sessionResumed: "session.resumed"
        case .question: "question"
        case .feedbackLive: "feedback.live"
        case .billingUpdated: "billing.updated"
        case .billingWarning: "billing.warning"
        case .sessionEnded: "session.ended"
        case .error: "error"
        case .speechStarted: "speech.started"
        case .speechStopped: "speech.stopped"
        case .turnEnded: "turn.ended"
        case .answerScored: "answer.scored"
        case .nudge: "nudge"
        case .answerTimeWarning: "answer.time_warning"
        case .playbackStop: "playback.stop"
        case .transcript: "transcript"
        case .transcriptionStatus: "transcription.status"
        case .interviewerThinking: "interviewer.thinking"
        case .reportWritten: "report.written"
        }
    }

    /// The JSON text frame for this event: a flat object with `type` first, then the payload's fields in a fixed
    /// order (and `id` for replies); dictionaries are written in sorted key order, so the same event is always the
    /// same bytes.
    ///
    /// The frequent events (`feedback.live` up to four times a second per session, billing, speech, turns,
    /// transcripts, errors) are written straight into bytes (`writeFrequent(to:)`); the rest go through their
    /// `Codable` payloads (`JSONStreamEncoder`), which write the same bytes, only slower. Both are described by
    /// `encodeWire(to:)`, which the tests hold the direct writing to, byte for byte.
    public func encoded() -> Data {
        var writer = JSONWriter(capacity: 512)
        do {
            if try writeFrequent(to: &writer) { return Data(writer.bytes) }
            return try JSONStreamEncoder.encode(WireEvent(message: self))
        } catch {
            // Every payload is strings and finite numbers, so encoding does not fail.
            return Data()
        }
    }

    /// Writes a frequent event as `encodeWire(to:)` describes it and returns true, or writes nothing and returns
    /// false for the others.
    func writeFrequent(to writer: inout JSONWriter) throws(JSONWriter.NonFiniteNumber) -> Bool {
        switch self {
        case .feedbackLive(let feedback):
            writer.beginObject()
            writer.key("type"); writer.string(type)
            try feedback.writeFields(to: &writer)
        case .billingUpdated(let update):
            writer.beginObject()
            writer.key("type"); writer.string(type)
            writer.key("balance_ms"); writer.int(update.balanceMs)
            writer.key("session_used_ms"); writer.int(update.sessionUsedMs)
        case .billingWarning(let remaining):
            writer.beginObject()
            writer.key("type"); writer.string(type)
            writer.key("remaining_ms"); writer.int(remaining)
        case .speechStarted(let audioMs), .speechStopped(let audioMs):
            writer.beginObject()
            writer.key("type"); writer.string(type)
            writer.key("audio_ms"); writer.int(audioMs)
        case .turnEnded(let questionID, let reason):
            writer.beginObject()
            writer.key("type"); writer.string(type)
            writer.key("question_id"); writer.string(questionID)
            writer.key("reason"); writer.string(reason.rawValue)
        case .transcript(let questionID, let text, let isFinal):
            writer.beginObject()
            writer.key("type"); writer.string(type)
            writer.key("question_id"); writer.string(questionID)
            writer.key("text"); writer.string(text)
            writer.key("final"); writer.bool(isFinal)
        case .error(let error):
            writer.beginObject()
            writer.key("type"); writer.string(type)
            writer.key("code"); writer.string(error.code.rawValue)
            writer.key("message"); writer.string(error.message)
            writer.key("fatal"); writer.bool(error.fatal)
            if let requestID = error.requestID { writer.key("id"); writer.string(requestID) }
        case .sessionStarted, .sessionResumed, .question, .sessionEnded, .answerScored, .nudge, .answerTimeWarning,
             .playbackStop, .transcriptionStatus, .interviewerThinking, .reportWritten:
            return false
        }
        writer.endObject()
        return true
    }
}

/// A `ServerMessage` as an Encodable value: how `encoded()` writes the events it does not write directly.
struct WireEvent: Encodable {
    let message: ServerMessage
    func encode(to encoder: any Encoder) throws { try message.encodeWire(to: encoder) }
}

extension ServerMessage {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Writes the event as one flat JSON object: `type`, then the payload's own fields (and `id`) in the same
    /// container. This is the shape of every event; `writeFrequent(to:)` writes the frequent ones without an
    /// `Encoder`, and the tests check that it writes exactly these bytes.
    func encodeWire(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: Key.self)
        try fields.encode(type, forKey: Key("type"))
        switch self {
        case .sessionStarted(let payload, let replyTo):
            try payload.encode(to: encoder)
            try fields.encodeIfPresent(replyTo, forKey: Key("id"))
        case .sessionResumed(let sessionID, let balanceMs, let resumeToken, let replyTo):
            try fields.encode(sessionID, forKey: Key("session_id"))
            try fields.encode(balanceMs, forKey: Key("balance_ms"))
            try fields.encodeIfPresent(resumeToken, forKey: Key("resume_token"))
            try fields.encodeIfPresent(replyTo, forKey: Key("id"))
        case .question(let payload): try payload.encode(to: encoder)
        case .feedbackLive(let payload): try payload.encode(to: encoder)
        case .billingUpdated(let payload): try payload.encode(to: encoder)
        case .billingWarning(let remaining): try fields.encode(remaining, forKey: Key("remaining_ms"))
        case .sessionEnded(let payload): try payload.encode(to: encoder)
        case .error(let error):
            try fields.encode(error.code.rawValue, forKey: Key("code"))
            try fields.encode(error.message, forKey: Key("message"))
            try fields.encode(error.fatal, forKey: Key("fatal"))
            try fields.encodeIfPresent(error.requestID, forKey: Key("id"))
        case .speechStarted(let audioMs), .speechStopped(let audioMs): try fields.encode(audioMs, forKey: Key("audio_ms"))
        case .turnEnded(let questionID, let reason):
            try fields.encode(questionID, forKey: Key("question_id"))
            try fields.encode(reason.rawValue, forKey: Key("reason"))
        case .answerScored(let score): try score.encode(to: encoder)
        case .nudge(let questionID, let number, let text):
            try fields.encode(questionID, forKey: Key("question_id"))
            try fields.encode(number, forKey: Key("number"))
            try fields.encode(text, forKey: Key("text"))
        case .answerTimeWarning(let questionID, let remaining):
            try fields.encode(questionID, forKey: Key("question_id"))
            try fields.encode(remaining, forKey: Key("remaining_ms"))
        case .playbackStop(let questionID, let reason):
            try fields.encode(questionID, forKey: Key("question_id"))
            try fields.encode(reason, forKey: Key("reason"))
        case .transcript(let questionID, let text, let isFinal):
            try fields.encode(questionID, forKey: Key("question_id"))
            try fields.encode(text, forKey: Key("text"))
            try fields.encode(isFinal, forKey: Key("final"))
        case .transcriptionStatus(let state, let message):
            try fields.encode(state.rawValue, forKey: Key("transcription"))
            try fields.encode(message, forKey: Key("message"))
        case .interviewerThinking(let questionID, let budgetMs):
            try fields.encode(questionID, forKey: Key("after_question_id"))
            try fields.encode(budgetMs, forKey: Key("budget_ms"))
        case .reportWritten(let written):
            try fields.encode(written != nil, forKey: Key("available"))
            try written?.encode(to: encoder)
        }
    }
}

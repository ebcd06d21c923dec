import Foundation
import Interview
import Security

/// A person's account as the API shows it (never the password hash).
public struct Account: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var email: String
    public var birthDate: String
    public var balanceMs: Int64
    public var createdAt: Date
    /// The account lets the engine's model word follow-ups and grade answers; off, its sessions have the template
    /// interviewer and nothing of them reaches the model provider.
    public var modelProcessing: Bool = true
}

/// What a signup asks for, already validated by `SignupRules`.
public struct NewAccount: Sendable, Equatable {
    public var name: String
    public var email: String
    public var passwordHash: String
    public var birthDate: String

    public init(name: String, email: String, passwordHash: String, birthDate: String) {
        self.name = name
        self.email = email
        self.passwordHash = passwordHash
        self.birthDate = birthDate
    }
}

/// Metered time of one live session to charge to its account.
public struct UsageCharge: Sendable, Equatable {
    public var sessionID: String
    public var accountID: String
    public var ms: Int64
    /// Unique per charge and kept when a failed batch is retried, so a store that cannot tell whether a batch
    /// committed (a lost acknowledgement from a database server) applies each charge at most once.
    public var chargeID: String

    public init(sessionID: String, accountID: String, ms: Int64, chargeID: String = SecureRandom.identifier()) {
        self.sessionID = sessionID
        self.accountID = accountID
        self.ms = ms
        self.chargeID = chargeID
    }
}

/// A session record with the account it belongs to, as the store writer batches them.
public struct AccountRecord: Sendable, Equatable {
    public var record: SessionRecord
    public var accountID: String

    public init(_ record: SessionRecord, accountID: String) {
        self.record = record
        self.accountID = accountID
    }
}

/// A record of a batch that was not applied, and why; the others of its batch were.
public struct RecordFailure: Error {
    /// Its place in the batch.
    public var index: Int
    public var error: any Error

    public init(index: Int, error: any Error) {
        self.index = index
        self.error = error
    }
}

/// A past or running session, as listed to its owner.
public struct SessionListing: Sendable, Equatable, Codable {
    public var id: String
    public var trackID: String
    public var mode: String
    public var startedAt: Date
    public var endedAt: Date?
    public var endReason: String?
    public var billedMs: Int64
    /// Questions asked in the session, follow-ups included.
    public var questionsAsked: Int
    /// The report's overall score, once the session has ended with scored answers.
    public var score: Int? = nil

    enum CodingKeys: String, CodingKey {
        case id, trackID = "track", mode, startedAt = "started_at", endedAt = "ended_at", endReason = "end_reason"
        case billedMs = "billed_ms", questionsAsked = "questions_asked", score
    }
}

/// One question and the answer to it.
public struct TurnRecord: Sendable, Equatable, Codable {
    public var questionID: String
    public var number: Int
    public var kind: String
    public var text: String
    public var templateID: String
    public var templateVersion: String
    public var askedAt: Date
    public var answerText: String?
    public var answerStartedAt: Date?
    public var answerEndedAt: Date?
    public var answerComplete: Bool?
    public var audioMs: Int64?
    public var analysis: AnswerAnalysis?
    /// The answer's scores, for complete answers.
    public var score: AnswerScore?
    /// Who worded the question (`model` or `template`), and which model.
    public var source: String = QuestionSource.template.rawValue
    public var modelName: String? = nil

    enum CodingKeys: String, CodingKey {
        case questionID = "question_id", number, kind, text, templateID = "template_id"
        case templateVersion = "template_version", askedAt = "asked_at", answerText = "answer_text"
        case answerStartedAt = "answer_started_at", answerEndedAt = "answer_ended_at"
        case answerComplete = "answer_complete", audioMs = "audio_ms", analysis, score, source, modelName = "model"
    }
}

/// A session with every turn, for its owner.
public struct SessionDetail: Sendable, Equatable, Codable {
    public var session: SessionListing
    public var summary: SessionSummary?
    /// Scores per answer, trend and what to practise; present once the session has ended.
    public var report: SessionReport?
    public var turns: [TurnRecord]
}

/// One line of the minute ledger.
public struct LedgerEntry: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case trial, grant, purchase, usage, refund, correction
    }
    /// Unique across the ledger; never reused.
    public var entryID: String
    public var kind: Kind
    /// Positive adds minutes, negative takes them.
    public var amountMs: Int64
    public var reason: String
    public var sessionID: String?
    /// The payment processor's event id for purchases and refunds it sent; unique when present.
    public var externalID: String?
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case entryID = "entry_id", kind, amountMs = "amount_ms", reason, sessionID = "session_id"
        case externalID = "external_id", createdAt = "created_at"
    }
}

public enum StoreError: Error, Equatable, CustomStringConvertible {
    case emailTaken
    case accountNotFound(String)
    case invalidAmount(String)
    /// The store was closed (the engine stopped); nothing more is read or written.
    case closed

    public var description: String {
        switch self {
        case .closed: "the store is closed"
        case .emailTaken: "an account with this email already exists"
        case .accountNotFound(let who): "no account \(who)"
        case .invalidAmount(let why): why
        }
    }
}

import Foundation
import Interview

// Memberwise factories for the other store of this package (PostgresStore), which builds the same values from its
// own rows (an initialiser of the same shape would clash with the synthesised one). Package-wide only: outside
// callers get these values from a store, never make them.

extension Account {
    package static func stored(id: String, name: String, email: String, birthDate: String, balanceMs: Int64, createdAt: Date,
                                modelProcessing: Bool) -> Self {
        Self(id: id, name: name, email: email, birthDate: birthDate, balanceMs: balanceMs, createdAt: createdAt, modelProcessing: modelProcessing)
    }
}

extension SessionListing {
    package static func stored(id: String, trackID: String, mode: String, startedAt: Date, endedAt: Date?, endReason: String?,
                 billedMs: Int64, questionsAsked: Int, score: Int?) -> Self {
        Self(id: id, trackID: trackID, mode: mode, startedAt: startedAt, endedAt: endedAt, endReason: endReason,
             billedMs: billedMs, questionsAsked: questionsAsked, score: score)
    }
}

extension TurnRecord {
    package static func stored(questionID: String, number: Int, kind: String, text: String, templateID: String,
                 templateVersion: String, askedAt: Date, answerText: String?, answerStartedAt: Date?,
                 answerEndedAt: Date?, answerComplete: Bool?, audioMs: Int64?, analysis: AnswerAnalysis?,
                 score: AnswerScore?, source: String, modelName: String?) -> Self {
        Self(questionID: questionID, number: number, kind: kind, text: text, templateID: templateID,
             templateVersion: templateVersion, askedAt: askedAt, answerText: answerText,
             answerStartedAt: answerStartedAt, answerEndedAt: answerEndedAt, answerComplete: answerComplete,
             audioMs: audioMs, analysis: analysis, score: score, source: source,
             modelName: modelName)
    }
}

extension SessionDetail {
    package static func stored(session: SessionListing, summary: SessionSummary?, report: SessionReport?, turns: [TurnRecord]) -> Self {
        Self(session: session, summary: summary, report: report, turns: turns)
    }
}

extension LedgerEntry {
    package static func stored(entryID: String, kind: Kind, amountMs: Int64, reason: String, sessionID: String?, externalID: String?,
                 createdAt: Date) -> Self {
        Self(entryID: entryID, kind: kind, amountMs: amountMs, reason: reason, sessionID: sessionID,
             externalID: externalID, createdAt: createdAt)
    }
}

extension PaymentReceipt {
    package static func stored(eventID: String, kind: String, productID: String?, purchaseEventID: String?, requestedMs: Int64,
                 amountMs: Int64, entryID: String?, processedAt: Date) -> Self {
        Self(eventID: eventID, kind: kind, productID: productID, purchaseEventID: purchaseEventID,
             requestedMs: requestedMs, amountMs: amountMs, entryID: entryID, processedAt: processedAt)
    }
}

extension TokenInfo {
    package static func stored(createdAt: Date, lastUsedAt: Date, expiresAt: Date, idleExpiresAt: Date) -> Self {
        Self(createdAt: createdAt, lastUsedAt: lastUsedAt, expiresAt: expiresAt, idleExpiresAt: idleExpiresAt)
    }
}

extension AccountExport {
    package static func stored(account: Account, ledger: [LedgerEntry], payments: [PaymentReceipt], sessions: [SessionDetail],
                 tokens: [TokenInfo]) -> Self {
        Self(account: account, ledger: ledger, payments: payments, sessions: sessions, tokens: tokens)
    }
}

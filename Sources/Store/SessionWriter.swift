import Foundation
import GRDB
import Interview

/// Maps session records to rows and rows back to what the API returns.
///
/// Records are written through cached statements: each is compiled once per connection, not once per record (the
/// store writer applies a few records per live session every turn). Dates go in as `storedText`, GRDB's own text
/// for them without its `DateFormatter`.
enum SessionWriter {
    static func apply(_ record: SessionRecord, accountID: String, db: Database) throws {
        switch record {
        case .sessionStarted(let sessionID, let trackID, let mode, let sampleRate, let at):
            try db.cachedStatement(sql: """
                INSERT INTO sessions (id, account_id, track_id, mode, sample_rate, started_at) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [sessionID, accountID, trackID, mode.rawValue, sampleRate, at.storedText])
        case .questionAsked(let sessionID, let question, let at):
            try db.cachedStatement(sql: """
                INSERT INTO turns (session_id, question_id, number, kind, text, template_id, template_version, main_number, asked_at,
                                   question_source, model_name)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [sessionID, question.questionID, question.number, question.kind.rawValue,
                                         question.text, question.template.id, question.template.version,
                                         question.mainNumber, at.storedText, question.source.rawValue, question.modelName])
        case .answerGiven(let sessionID, let questionID, let text, let analysis, let audioMs, let startedAt, let endedAt,
                          let complete, let score):
            let json = String(decoding: try JSONStreamEncoder.encode(analysis), as: UTF8.self)
            let scoreJSON = try score.map { String(decoding: try JSONStreamEncoder.encode($0), as: UTF8.self) }
            try db.cachedStatement(sql: """
                UPDATE turns SET answer_text = ?, analysis_json = ?, audio_ms = ?, answer_started_at = ?, answer_ended_at = ?,
                answer_complete = ?, score_json = ? WHERE session_id = ? AND question_id = ?
                """).execute(arguments: [text, json, audioMs, startedAt.storedText, endedAt.storedText, complete, scoreJSON,
                                         sessionID, questionID])
        case .answerDraft(let sessionID, let questionID, let text, let audioMs, let startedAt, _):
            // Never over a finished answer: drafts only fill a turn whose answer is still open.
            try db.cachedStatement(sql: """
                UPDATE turns SET answer_text = ?, audio_ms = ?, answer_started_at = ?, answer_complete = 0
                WHERE session_id = ? AND question_id = ? AND answer_ended_at IS NULL
                """).execute(arguments: [text, audioMs, startedAt.storedText, sessionID, questionID])
        case .answerRescored(let sessionID, let questionID, let score):
            let scoreJSON = String(decoding: try JSONStreamEncoder.encode(score), as: UTF8.self)
            try db.cachedStatement(sql: "UPDATE turns SET score_json = ? WHERE session_id = ? AND question_id = ?")
                .execute(arguments: [scoreJSON, sessionID, questionID])
        case .reportWritten(let sessionID, let report):
            let reportJSON = String(decoding: try JSONStreamEncoder.encode(report), as: UTF8.self)
            try db.cachedStatement(sql: "UPDATE sessions SET report_json = ? WHERE id = ?").execute(arguments: [reportJSON, sessionID])
        case .sessionEnded(let sessionID, let reason, let summary, let report, let at):
            let json = String(decoding: try JSONStreamEncoder.encode(summary), as: UTF8.self)
            let reportJSON = try report.map { String(decoding: try JSONStreamEncoder.encode($0), as: UTF8.self) }
            try db.cachedStatement(sql: "UPDATE sessions SET ended_at = ?, end_reason = ?, summary_json = ?, report_json = ? WHERE id = ?")
                .execute(arguments: [at.storedText, reason.rawValue, json, reportJSON, sessionID])
        }
    }

    static func listing(_ row: Row) -> SessionListing {
        SessionListing(id: row["id"], trackID: row["track_id"], mode: row["mode"], startedAt: row["started_at"],
                       endedAt: row["ended_at"], endReason: row["end_reason"], billedMs: row["billed_ms"],
                       questionsAsked: row["questions_asked"] ?? 0,
                       score: (row["report_json"] as String?)
                           .flatMap { try? JSONDecoder().decode(SessionReport.self, from: Data($0.utf8)) }?.overall)
    }

    static func turn(_ row: Row) -> TurnRecord {
        let analysis = (row["analysis_json"] as String?).flatMap { try? JSONDecoder().decode(AnswerAnalysis.self, from: Data($0.utf8)) }
        let score = (row["score_json"] as String?).flatMap { try? JSONDecoder().decode(AnswerScore.self, from: Data($0.utf8)) }
        return TurnRecord(questionID: row["question_id"], number: row["number"], kind: row["kind"], text: row["text"],
                          templateID: row["template_id"], templateVersion: row["template_version"], askedAt: row["asked_at"],
                          answerText: row["answer_text"], answerStartedAt: row["answer_started_at"],
                          answerEndedAt: row["answer_ended_at"], answerComplete: row["answer_complete"],
                          audioMs: row["audio_ms"], analysis: analysis, score: score,
                          source: row["question_source"] ?? QuestionSource.template.rawValue, modelName: row["model_name"])
    }
}

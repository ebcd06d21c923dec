import Foundation
import Interview
import Store

/// Maps session records to rows and rows back to what the API returns, as `SessionWriter` does for SQLite.
enum PostgresSessionWriter {
    static func apply(_ record: SessionRecord, accountID: String, nodeID: String, connection: PostgresConnection) throws {
        switch record {
        case .sessionStarted(let sessionID, let trackID, let mode, let sampleRate, let at):
            try connection.query("""
                INSERT INTO sessions (id, account_id, track_id, mode, sample_rate, started_at, node_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [sessionID, accountID, trackID, mode.rawValue, sampleRate, at, nodeID])
        case .questionAsked(let sessionID, let question, let at):
            try connection.query("""
                INSERT INTO turns (session_id, question_id, number, kind, text, template_id, template_version, main_number, asked_at,
                                   question_source, model_name)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                """, [sessionID, question.questionID, question.number, question.kind.rawValue, question.text,
                      question.template.id, question.template.version, question.mainNumber, at,
                      question.source.rawValue, question.modelName])
        case .answerGiven(let sessionID, let questionID, let text, let analysis, let audioMs, let startedAt, let endedAt,
                          let complete, let score):
            let json = String(decoding: try JSONStreamEncoder.encode(analysis), as: UTF8.self)
            let scoreJSON = try score.map { String(decoding: try JSONStreamEncoder.encode($0), as: UTF8.self) }
            try connection.query("""
                UPDATE turns SET answer_text = $1, analysis_json = $2, audio_ms = $3, answer_started_at = $4,
                answer_ended_at = $5, answer_complete = $6, score_json = $7 WHERE session_id = $8 AND question_id = $9
                """, [text, json, audioMs, startedAt, endedAt, complete, scoreJSON, sessionID, questionID])
        case .answerDraft(let sessionID, let questionID, let text, let audioMs, let startedAt, _):
            // Never over a finished answer: drafts only fill a turn whose answer is still open.
            try connection.query("""
                UPDATE turns SET answer_text = $1, audio_ms = $2, answer_started_at = $3, answer_complete = false
                WHERE session_id = $4 AND question_id = $5 AND answer_ended_at IS NULL
                """, [text, audioMs, startedAt, sessionID, questionID])
        case .answerRescored(let sessionID, let questionID, let score):
            let scoreJSON = String(decoding: try JSONStreamEncoder.encode(score), as: UTF8.self)
            try connection.query("UPDATE turns SET score_json = $1 WHERE session_id = $2 AND question_id = $3",
                                 [scoreJSON, sessionID, questionID])
        case .reportWritten(let sessionID, let report):
            let reportJSON = String(decoding: try JSONStreamEncoder.encode(report), as: UTF8.self)
            try connection.query("UPDATE sessions SET report_json = $1 WHERE id = $2", [reportJSON, sessionID])
        case .sessionEnded(let sessionID, let reason, let summary, let report, let at):
            let json = String(decoding: try JSONStreamEncoder.encode(summary), as: UTF8.self)
            let reportJSON = try report.map { String(decoding: try JSONStreamEncoder.encode($0), as: UTF8.self) }
            try connection.query("UPDATE sessions SET ended_at = $1, end_reason = $2, summary_json = $3, report_json = $4 WHERE id = $5",
                                 [at, reason.rawValue, json, reportJSON, sessionID])
        }
    }

    static func listing(_ row: PostgresRow) throws -> SessionListing {
        let report = try (row.decode("report_json") as String?).flatMap {
            try? JSONDecoder().decode(SessionReport.self, from: Data($0.utf8))
        }
        return SessionListing.stored(id: try row.decode("id"), trackID: try row.decode("track_id"), mode: try row.decode("mode"),
                              startedAt: try row.decode("started_at"), endedAt: try row.decode("ended_at"),
                              endReason: try row.decode("end_reason"), billedMs: try row.decode("billed_ms"),
                              questionsAsked: try row.decode("questions_asked") ?? 0, score: report?.overall)
    }

    static func turn(_ row: PostgresRow) throws -> TurnRecord {
        let analysis = try (row.decode("analysis_json") as String?).flatMap {
            try? JSONDecoder().decode(AnswerAnalysis.self, from: Data($0.utf8))
        }
        let score = try (row.decode("score_json") as String?).flatMap {
            try? JSONDecoder().decode(AnswerScore.self, from: Data($0.utf8))
        }
        return TurnRecord.stored(questionID: try row.decode("question_id"), number: try row.decode("number"),
                          kind: try row.decode("kind"), text: try row.decode("text"),
                          templateID: try row.decode("template_id"), templateVersion: try row.decode("template_version"),
                          askedAt: try row.decode("asked_at"), answerText: try row.decode("answer_text"),
                          answerStartedAt: try row.decode("answer_started_at"),
                          answerEndedAt: try row.decode("answer_ended_at"),
                          answerComplete: try row.decode("answer_complete"), audioMs: try row.decode("audio_ms"),
                          analysis: analysis, score: score,
                          source: try row.decode("question_source") ?? QuestionSource.template.rawValue,
                          modelName: try row.decode("model_name"))
    }
}

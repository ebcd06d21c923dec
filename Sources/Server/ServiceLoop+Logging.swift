import Interview
import Logging

extension ServiceLoop {
    /// The engine's logger with the connection's `account.id` and, once there is one, its `session.id`: every line
    /// about a session carries both, so one grep (or one log query) finds a session's whole story.
    func sessionLogger(_ connection: InterviewConnection, sessionID: String? = nil) -> Logger {
        var logger = logger
        logger[metadataKey: "account.id"] = "\(connection.accountID)"
        if let sessionID = sessionID ?? connection.machine.sessionID { logger[metadataKey: "session.id"] = "\(sessionID)" }
        return logger
    }
}

extension SessionRecord {
    /// The session the record belongs to.
    var sessionID: String {
        switch self {
        case .sessionStarted(let id, _, _, _, _), .questionAsked(let id, _, _), .answerGiven(let id, _, _, _, _, _, _, _, _),
             .answerDraft(let id, _, _, _, _, _), .sessionEnded(let id, _, _, _, _), .answerRescored(let id, _, _),
             .reportWritten(let id, _):
            id
        }
    }
}

import Foundation

/// One thing that can happen to an interview connection, as the server's service loop would see it.
///
/// A fuzz run is a start balance and a list of these; `InterviewFuzzDriver` turns each one into the calls the
/// server makes on `InterviewStateMachine`.
public enum FuzzInput: Sendable, Equatable {
    /// A text frame exactly as received; `requestID` is the `id` the frame carries when the author of the input
    /// knows it (errors must echo it), `.unknown` for arbitrary bytes.
    case text(Data, requestID: RequestID)
    /// A binary (audio) frame of this many bytes.
    case binary(byteCount: Int)
    /// The monotonic clock moves on.
    case advance(ms: Int64)
    /// The connection's periodic tick.
    case timer
    /// A settlement: the session's unsettled time is charged to the account and the new balance reported back.
    case settle
    /// Something else moved the account's balance (a purchase, a refund, another session's usage); the session
    /// learns it at the next settlement.
    case balanceChanged(deltaMs: Int64)
    /// The voice activity detector heard speech start or stop at the current audio position.
    case speechStarted
    case speechStopped
    /// The engine's transcriber came back with the text of the oldest stretch it was sent (nil: it failed).
    case transcriptionFinished(String?)
    /// The connection dropped while the session may be resumed.
    case disconnect
    /// A new connection resumed the session with the right token.
    case resume
    /// The connection is gone for good (or the resume grace period ended).
    case close
    /// The server starts draining before a restart; live interviews must end within this many milliseconds.
    case drain(inMs: Int64)
    /// The model's first token for the oldest follow-up wording not yet answered (one given up on included:
    /// answers race with cancels).
    case modelFirstToken
    /// The model's checked wording for the oldest follow-up wording not yet answered (nil: it failed or was
    /// rejected).
    case modelWording(String?)
    /// The model's grade of the oldest answer not yet graded: every criterion scored this (nil: it failed).
    case modelGrade(Int?)
    /// The model's written report, once the session asked for one (false: it failed).
    case reportWritten(Bool)

    public enum RequestID: Sendable, Equatable {
        case unknown
        case known(String?)
    }
}

extension FuzzInput: CustomStringConvertible {
    public var description: String {
        switch self {
        case .text(let frame, let requestID):
            let text = String(decoding: frame.prefix(200), as: UTF8.self).debugDescription
            let id = if case .known(let id) = requestID { ", id: \(id.debugDescription)" } else { "" }
            return "text(\(frame.count > 200 ? "\(frame.count) bytes: \(text)…" : text)\(id))"
        case .binary(let count): return "binary(\(count))"
        case .advance(let ms): return "advance(\(ms))"
        case .timer: return "timer"
        case .settle: return "settle"
        case .balanceChanged(let delta): return "balanceChanged(\(delta))"
        case .speechStarted: return "speechStarted"
        case .speechStopped: return "speechStopped"
        case .transcriptionFinished(let text): return "transcriptionFinished(\(text.debugDescription))"
        case .disconnect: return "disconnect"
        case .resume: return "resume"
        case .close: return "close"
        case .drain(let ms): return "drain(\(ms))"
        case .modelFirstToken: return "modelFirstToken"
        case .modelWording(let text): return "modelWording(\(text.debugDescription))"
        case .modelGrade(let score): return "modelGrade(\(score.map(String.init) ?? "nil"))"
        case .reportWritten(let ok): return "reportWritten(\(ok))"
        }
    }
}

/// A whole fuzz run: what the account holds when `session.start` arrives, then what happens.
public struct FuzzScenario: Sendable, Equatable, CustomStringConvertible {
    public var balanceMs: Int64
    public var inputs: [FuzzInput]

    public init(balanceMs: Int64, inputs: [FuzzInput]) {
        self.balanceMs = balanceMs
        self.inputs = inputs
    }

    public var description: String {
        "FuzzScenario(balanceMs: \(balanceMs), inputs: [\n" + inputs.map { "  \($0)" }.joined(separator: ",\n") + "\n])"
    }
}

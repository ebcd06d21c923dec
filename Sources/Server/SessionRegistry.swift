import Foundation
import Security

/// The sessions that cross service threads, behind one lock: which thread and connection serve each live session
/// (work that comes back later goes there, and finds the connection by its serial without a search), the sessions
/// parked for resume (any thread may take one back), and how many sessions each account has live.
///
/// Ownership invariant: a parked `InterviewConnection` belongs to the registry; whoever takes it out (a resume, an
/// expiry, the stop) owns it from then on, on that caller's thread. Nothing else touches a parked connection, except
/// `withParked`, under the lock.
final class SessionRegistry: @unchecked Sendable {
    private struct Parked {
        var connection: InterviewConnection
        var deadlineMs: Int64
    }

    private let lock = NSLock()
    private var parked: [String: Parked] = [:]
    private var owners: [String: Owner] = [:]
    private var liveByAccount: [String: Int] = [:]

    private struct Owner {
        weak var loop: ServiceLoop?
        /// The connection's serial on `loop`; a parked session keeps the serial of the connection it left.
        let serial: UInt64
    }

    /// A session started (it counts against its account until `sessionEnded`), served by the connection `serial`
    /// of `loop`.
    func sessionStarted(_ sessionID: String, accountID: String, on loop: ServiceLoop, serial: UInt64) {
        lock.withLock {
            owners[sessionID] = Owner(loop: loop, serial: serial)
            liveByAccount[accountID, default: 0] += 1
        }
    }

    func sessionEnded(_ sessionID: String, accountID: String) {
        lock.withLock {
            owners[sessionID] = nil
            if let count = liveByAccount[accountID] { liveByAccount[accountID] = count > 1 ? count - 1 : nil }
        }
    }

    /// Live sessions of the account, parked ones included (they may come back).
    func liveSessions(accountID: String) -> Int { lock.withLock { liveByAccount[accountID, default: 0] } }

    /// The thread, and the serial of the connection on it, that serve `sessionID` now, if it is live.
    func owner(of sessionID: String) -> (loop: ServiceLoop, serial: UInt64)? {
        lock.withLock { owners[sessionID].flatMap { owner in owner.loop.map { ($0, owner.serial) } } }
    }

    func park(_ connection: InterviewConnection, sessionID: String, until deadlineMs: Int64) {
        lock.withLock { parked[sessionID] = Parked(connection: connection, deadlineMs: deadlineMs) }
    }

    /// Why a parked session was not handed over; the engine logs it, the client hears only `resume_failed`.
    enum ResumeRefusal: String, Error {
        /// Nothing parked under the id: never started, ended, its grace period over, or still live on a connection.
        case notParked = "not-parked"
        case otherAccount = "other-account"
        case wrongToken = "wrong-token"
    }

    /// Takes the parked session for a resume on the connection `serial` of `loop`, when it belongs to `accountID`
    /// and `token` is its resume token (compared in constant time). Otherwise nothing is taken, and the refusal says
    /// why.
    func takeParked(_ sessionID: String, accountID: String, token: String,
                    for loop: ServiceLoop, serial: UInt64) -> Result<InterviewConnection, ResumeRefusal> {
        lock.withLock {
            guard let entry = parked[sessionID] else { return .failure(.notParked) }
            guard entry.connection.accountID == accountID else { return .failure(.otherAccount) }
            guard let expected = entry.connection.resumeToken,
                  Digest.constantTimeEqual(Data(expected.utf8), Data(token.utf8)) else { return .failure(.wrongToken) }
            parked[sessionID] = nil
            owners[sessionID] = Owner(loop: loop, serial: serial)
            return .success(entry.connection)
        }
    }

    /// Takes the parked sessions whose grace period is over at `nowMs` (all of them with `all`).
    func takeExpired(at nowMs: Int64, all: Bool = false) -> [InterviewConnection] {
        lock.withLock {
            let expired = parked.filter { all || $0.value.deadlineMs <= nowMs }
            expired.keys.forEach { parked[$0] = nil }
            return expired.values.map(\.connection)
        }
    }

    /// Runs `body` on the parked connection of `sessionID`, under the lock; false when it is not parked.
    func withParked(_ sessionID: String, _ body: (InterviewConnection) -> Void) -> Bool {
        lock.withLock {
            guard let entry = parked[sessionID] else { return false }
            body(entry.connection)
            return true
        }
    }
}

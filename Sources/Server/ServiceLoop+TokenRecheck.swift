import CWebSockets
import Foundation
import Interview
import Store

extension ServiceLoop {
    /// At most every `tokenRecheckInterval`: checks on a worker thread that each interview's token is still valid
    /// (the whole thread's batch in one store call), and closes (1008, after any queued events) the connections
    /// whose token was logged out, expired or deleted. A database error keeps the connections: a transient failure
    /// must not end interviews.
    func recheckTokensIfDue(at now: ClockReading) {
        let interval = Int64(configuration.tokenRecheckInterval * 1000)
        guard !tokenWatch.checkInFlight, now.monotonicMs - tokenWatch.lastCheckMs >= interval else { return }
        tokenWatch.lastCheckMs = now.monotonicMs
        tokenWatch.prune(keeping: interviews.keys)
        let checks = interviews.compactMap { wsi, connection in
            tokenWatch.token(for: wsi).map { TokenCheck(connection: ObjectIdentifier(connection),
                                                        signIn: SignIn(token: $0, accountID: connection.accountID)) }
        }
        guard !checks.isEmpty else { return }
        tokenWatch.checkInFlight = true
        services.workers.async { [store = services.store, configuration, completions] in
            // A live interview is activity: the recheck also keeps each valid token from idling out.
            let valid = (try? store.recheck(checks.map(\.signIn), at: configuration.clock(),
                                            idleTimeout: configuration.tokenIdleTimeout))
                ?? Array(repeating: true, count: checks.count)
            let revoked = Set(zip(checks, valid).filter { !$0.1 }.map(\.0.connection))
            completions.post { [weak self, revoked] in self?.tokensRechecked(revoked: revoked) }
        }
    }

    private func tokensRechecked(revoked: Set<ObjectIdentifier>) {
        tokenWatch.checkInFlight = false
        for (wsi, connection) in interviews where revoked.contains(ObjectIdentifier(connection)) {
            guard connection.closeAfterFlush == nil else { continue }
            sessionLogger(connection).info("closing an interview whose token is no longer valid")
            // Closing ends a live session as `disconnected` at once (no resume: the sign-in is gone), so what was
            // said is stored and the time is charged.
            connection.endsWithoutResume = true
            connection.closeAfterFlush = (1008, "sign-in no longer valid")
            lws_callback_on_writable(wsi)
        }
    }
}

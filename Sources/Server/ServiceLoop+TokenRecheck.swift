import CWebSockets
import Foundation
import Interview

extension ServiceLoop {
    /// At most every `tokenRecheckInterval`: checks on a worker thread that each interview's token is still valid,
    /// and closes (1008, after any queued events) the connections whose token was logged out, expired or deleted. A database error keeps the
    /// connection: a transient failure must not end interviews.
    func recheckTokensIfDue(at now: ClockReading) {
        let interval = Int64(configuration.tokenRecheckInterval * 1000)
        guard !tokenWatch.checkInFlight, now.monotonicMs - tokenWatch.lastCheckMs >= interval else { return }
        tokenWatch.lastCheckMs = now.monotonicMs
        tokenWatch.prune(keeping: interviews.keys)
        let checks = interviews.compactMap { wsi, connection in
            tokenWatch.token(for: wsi).map { TokenCheck(connection: ObjectIdentifier(connection),
                                                        accountID: connection.accountID, token: $0) }
        }
        guard !checks.isEmpty else { return }
        tokenWatch.checkInFlight = true
        services.workers.async { [store = services.store, configuration, completions] in
            var revoked = Set<ObjectIdentifier>()
            for check in checks {
                do {
                    let now = configuration.clock()
                    if try store.accountID(forToken: check.token, at: now) == check.accountID {
                        // A live interview is activity: it keeps the token from idling out.
                        try store.touchToken(check.token, at: now, idleTimeout: configuration.tokenIdleTimeout)
                    } else {
                        revoked.insert(check.connection)
                    }
                } catch {
                    continue
                }
            }
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

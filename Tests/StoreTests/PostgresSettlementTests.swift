import Foundation
import PostgresStore
import Store
import Testing

/// What only the shared store must handle: a node retrying a batch that did commit, because the acknowledgement of its
/// `COMMIT` was lost on the way back. (SQLite commits in-process: it has no such case.)
@Suite final class PostgresSettlementTests {
    @Test func aRetriedBatchChargesEachChargeOnce() throws {
        let fixture = try StoreFixture(.postgres)
        let account = try fixture.createAccount(trialMs: 60_000)
        try fixture.startSession("s1", accountID: account.id)
        let batch = [UsageCharge(sessionID: "s1", accountID: account.id, ms: 1_000)]
        #expect(try fixture.store.settle(batch, at: at(1)) == [account.id: 59_000])
        // The retry carries the same charges with the next second's beside them: only the new one is charged.
        let next = UsageCharge(sessionID: "s1", accountID: account.id, ms: 1_000)
        #expect(try fixture.store.settle(batch + [next], at: at(2)) == [account.id: 58_000])
        #expect(try fixture.store.session(id: "s1", accountID: account.id)?.session.billedMs == 2_000)
        #expect(try fixture.ledgerSum(account.id) == 58_000)
    }
}

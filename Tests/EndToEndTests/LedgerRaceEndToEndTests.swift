import EngineClient
import Foundation
import Store
import Testing

/// Two live sessions of one account race to a zero balance over real WebSockets.
@Suite struct LedgerRaceEndToEndTests {
    @Test func twoSessionsOfOneAccountNeverSpendMoreThanWasBought() throws {
        let engine = try TestEngine(trialMinutes: 0.05)  // 3 000 ms for both sessions together
        let (token, accountID) = try engine.signUpWithID()
        let first = try engine.connect(token: token)
        let second = try engine.connect(token: token)
        defer {
            first.shutdown()
            second.shutdown()
        }
        let ids = try BalanceRace.run([first, second])
        // Both drew on one balance: together they were charged exactly what there was, never more.
        var billed: [Int64] = []
        for id in ids {
            let stored = try engine.waitForSession(id, token: token) {
                ($0["session"] as? [String: Any])?["end_reason"] as? String == "balance_exhausted"
            }
            billed.append(Int64((stored["session"] as? [String: Any])?["billed_ms"] as? Int ?? -1))
        }
        #expect(billed.reduce(0, +) == 3_000)
        #expect(billed.allSatisfy { $0 > 0 }, "both sessions ran and were charged")
        #expect(try engine.balance(token) == 0)
        let ledger = try engine.store.ledger(accountID: accountID)
        #expect(ledger.map(\.amountMs).reduce(0, +) == 0)
        #expect(-ledger.filter { $0.kind == .usage }.map(\.amountMs).reduce(0, +) == 3_000)
    }

    /// `billingWarningMs` (`--billing-warning-seconds`) moves the warning: 3 minutes here, with 2 minutes left.
    @Test func theWarningThresholdIsConfigurable() throws {
        let engine = try TestEngine(trialMinutes: 2) { $0.billingWarningMs = 180_000 }
        let client = try engine.connect(token: try engine.signUp())
        defer { client.shutdown() }
        try client.send(json: ["type": "session.start", "track": "behavioural"])
        #expect(try client.next("billing.warning")["remaining_ms"] as? Int == 120_000)

        let quiet = try TestEngine(trialMinutes: 2) { $0.billingWarningMs = 60_000 }
        let other = try quiet.connect(token: try quiet.signUp())
        defer { other.shutdown() }
        try other.send(json: ["type": "session.start", "track": "behavioural"])
        var types: [String] = []
        var billingUpdates = 0
        while billingUpdates < 2, types.count < 50 {  // the start's update and the first settlement's
            let type = try other.nextJSON()["type"] as? String ?? "?"
            types.append(type)
            if type == "billing.updated" { billingUpdates += 1 }
        }
        #expect(billingUpdates == 2)
        #expect(!types.contains("billing.warning"), "no warning with 2 minutes left and a 1-minute threshold: \(types)")
    }
}

import Foundation
import Testing
import Store

/// The minute ledger: append-only entries, a cached balance equal to their sum, never below zero.
@Suite final class LedgerTests {
    /// Set by each test for the store it runs against.
    var fixture: StoreFixture!
    var store: any EngineStore { fixture.store }

    func expectBalanceMatchesLedger(_ accountID: String, _ expected: Int64,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try store.balance(accountID: accountID) == expected, sourceLocation: sourceLocation)
        #expect(try fixture.ledgerSum(accountID) == expected, sourceLocation: sourceLocation)
        #expect(try store.account(id: accountID)?.balanceMs == expected, sourceLocation: sourceLocation)
    }

    @Test(arguments: StoreKind.allCases) func entriesMoveTheBalanceAndAreListedInOrder(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 60_000)
        #expect(try store.addEntry(accountID: account.id, kind: .purchase, amountMs: 3_600_000, reason: "1 hour",
                                   at: at(10)) == 3_660_000)
        #expect(try store.addEntry(accountID: account.id, kind: .correction, amountMs: -60_000, reason: "fix",
                                   at: at(20)) == 3_600_000)
        let ledger = try store.ledger(accountID: account.id)
        #expect(ledger.map(\.kind) == [.trial, .purchase, .correction])
        #expect(ledger.map(\.amountMs) == [60_000, 3_600_000, -60_000])
        #expect(ledger.map(\.reason) == ["trial minutes", "1 hour", "fix"])
        #expect(ledger.map(\.createdAt) == [t0, at(10), at(20)])
        #expect(Set(ledger.map(\.entryID)).count == 3)
        try expectBalanceMatchesLedger(account.id, 3_600_000)
    }

    @Test(arguments: StoreKind.allCases) func entryBelowZeroIsRefusedAndChangesNothing(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 60_000)
        let before = try store.ledger(accountID: account.id)
        #expect {
            try self.store.addEntry(accountID: account.id, kind: .correction, amountMs: -60_001, reason: "too much", at: at(1))
        } throws: { error in
            guard case StoreError.invalidAmount = error else { return false }
            return true
        }
        #expect(try store.ledger(accountID: account.id) == before)
        try expectBalanceMatchesLedger(account.id, 60_000)
    }

    @Test(arguments: StoreKind.allCases) func entryDownToExactlyZeroIsAllowed(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 60_000)
        #expect(try store.addEntry(accountID: account.id, kind: .refund, amountMs: -60_000, reason: "refund", at: at(1)) == 0)
        try expectBalanceMatchesLedger(account.id, 0)
    }

    @Test(arguments: StoreKind.allCases) func entryForUnknownAccountIsRefused(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        #expect(throws: StoreError.accountNotFound("nobody")) {
            try self.store.addEntry(accountID: "nobody", kind: .grant, amountMs: 1, reason: "gift", at: t0)
        }
    }

    @Test(arguments: StoreKind.allCases) func overflowingEntryIsRefused(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 1)
        #expect {
            try self.store.addEntry(accountID: account.id, kind: .grant, amountMs: .max, reason: "huge", at: t0)
        } throws: { error in
            guard case StoreError.invalidAmount = error else { return false }
            return true
        }
        try expectBalanceMatchesLedger(account.id, 1)
    }

    /// Two live sessions of one account charged in the same batch: the second gets only what is left.
    @Test(arguments: StoreKind.allCases) func settleCapsTwoSessionsOfOneAccountAtTheBalance(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 5_000)
        try fixture.startSession("s1", accountID: account.id)
        try fixture.startSession("s2", accountID: account.id)
        let balances = try store.settle([
            UsageCharge(sessionID: "s1", accountID: account.id, ms: 3_000),
            UsageCharge(sessionID: "s2", accountID: account.id, ms: 4_000),
        ], at: at(1))
        #expect(balances == [account.id: 0])
        let usage = try store.ledger(accountID: account.id).filter { $0.kind == .usage }
        #expect(usage.map(\.amountMs) == [-3_000, -2_000])
        #expect(usage.map(\.sessionID) == ["s1", "s2"])
        #expect(-usage.map(\.amountMs).reduce(0, +) <= 5_000)
        let billed = Dictionary(uniqueKeysWithValues: try store.sessions(accountID: account.id).map { ($0.id, $0.billedMs) })
        #expect(billed == ["s1": 3_000, "s2": 2_000])
        try expectBalanceMatchesLedger(account.id, 0)
    }

    /// A session settled every second is one line of the ledger that grows, not one line per second.
    @Test(arguments: StoreKind.allCases) func aSessionsUsageIsOneEntryThatGrowsWithEachSettlement(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 60_000)
        try fixture.startSession("s1", accountID: account.id)
        try fixture.startSession("s2", accountID: account.id)
        for second in 1...5 {
            _ = try store.settle([UsageCharge(sessionID: "s1", accountID: account.id, ms: 1_000)], at: at(TimeInterval(second)))
        }
        _ = try store.settle([UsageCharge(sessionID: "s2", accountID: account.id, ms: 700)], at: at(6))
        let usage = try store.ledger(accountID: account.id).filter { $0.kind == .usage }
        #expect(usage.map(\.sessionID) == ["s1", "s2"])
        #expect(usage.map(\.amountMs) == [-5_000, -700])
        #expect(usage.first?.createdAt == at(1), "the entry is dated when the session's usage began")
        try expectBalanceMatchesLedger(account.id, 60_000 - 5_700)
    }

    @Test(arguments: StoreKind.allCases) func settleAtZeroBalanceChargesNothing(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 1_000)
        try fixture.startSession("s1", accountID: account.id)
        #expect(try store.settle([UsageCharge(sessionID: "s1", accountID: account.id, ms: 1_000)], at: at(1)) == [account.id: 0])
        #expect(try store.settle([UsageCharge(sessionID: "s1", accountID: account.id, ms: 1_000)], at: at(2)) == [account.id: 0])
        #expect(try store.ledger(accountID: account.id).count == 2, "the trial and one usage entry")
        #expect(try store.sessions(accountID: account.id).first?.billedMs == 1_000)
        try expectBalanceMatchesLedger(account.id, 0)
    }

    @Test(arguments: StoreKind.allCases) func settleReturnsTheBalanceOfEveryAccountCharged(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount(email: "ann@example.com", trialMs: 10_000)
        let bob = try fixture.createAccount(email: "bob@example.com", trialMs: 20_000)
        try fixture.startSession("a1", accountID: ann.id)
        try fixture.startSession("b1", accountID: bob.id)
        let balances = try store.settle([
            UsageCharge(sessionID: "a1", accountID: ann.id, ms: 1_000),
            UsageCharge(sessionID: "b1", accountID: bob.id, ms: 2_500),
            UsageCharge(sessionID: "a1", accountID: ann.id, ms: 500),
        ], at: at(1))
        #expect(balances == [ann.id: 8_500, bob.id: 17_500])
        try expectBalanceMatchesLedger(ann.id, 8_500)
        try expectBalanceMatchesLedger(bob.id, 17_500)
    }

    @Test(arguments: StoreKind.allCases) func settleIgnoresZeroAndNegativeUsage(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 10_000)
        try fixture.startSession("s1", accountID: account.id)
        let balances = try store.settle([
            UsageCharge(sessionID: "s1", accountID: account.id, ms: 0),
            UsageCharge(sessionID: "s1", accountID: account.id, ms: -5_000),
        ], at: at(1))
        #expect(balances == [account.id: 10_000])
        #expect(try store.ledger(accountID: account.id).count == 1)
        try expectBalanceMatchesLedger(account.id, 10_000)
    }

    @Test(arguments: StoreKind.allCases) func settlingNothingReturnsNothing(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        #expect(try store.settle([], at: t0).isEmpty)
    }

    /// Many small settlements, grants and refused entries later, the cached balance still equals the ledger's sum.
    @Test(arguments: StoreKind.allCases) func cachedBalanceAlwaysEqualsTheLedgerSum(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 7_000)
        try fixture.startSession("s1", accountID: account.id)
        var expected: Int64 = 7_000
        for second in 1...12 {
            if second == 6 {
                expected = try store.addEntry(accountID: account.id, kind: .grant, amountMs: 2_000, reason: "gift",
                                              at: at(Double(second)))
            }
            _ = try? store.addEntry(accountID: account.id, kind: .correction, amountMs: -100_000, reason: "refused",
                                    at: at(Double(second)))
            let balances = try store.settle([UsageCharge(sessionID: "s1", accountID: account.id, ms: 1_000)],
                                            at: at(Double(second)))
            expected = max(0, expected - 1_000)
            #expect(balances[account.id] == expected)
            try expectBalanceMatchesLedger(account.id, expected)
        }
        #expect(expected == 0)
        #expect(try store.sessions(accountID: account.id).first?.billedMs == 9_000)
    }
}

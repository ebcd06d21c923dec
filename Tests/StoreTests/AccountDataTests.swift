import Foundation
import Testing
import Store

/// Correcting, exporting and deleting: what people can do with the data stored about them.
@Suite final class AccountDataTests {
    /// Set by each test for the store it runs against.
    var fixture: StoreFixture!
    var store: any EngineStore { fixture.store }

    /// A session with one question asked, ended (as a crash recovery would end it).
    func endedSession(_ id: String, accountID: String) throws {
        try fixture.startSession(id, accountID: accountID)
        try store.apply(.questionAsked(sessionID: id, question: askedQuestion(1), at: at(1)), accountID: accountID)
        _ = try store.closeAbandonedSessions(at: at(2))
    }

    @Test(arguments: StoreKind.allCases) func nameAndEmailCanBeCorrected(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(email: "ann@example.com")
        let renamed = try store.updateAccount(id: account.id, name: "Ann Lee", email: nil)
        #expect(renamed.name == "Ann Lee" && renamed.email == "ann@example.com")
        let moved = try store.updateAccount(id: account.id, name: nil, email: " Ann.Lee@Example.COM ")
        #expect(moved.email == "ann.lee@example.com" && moved.name == "Ann Lee")
        #expect(try store.credentials(email: "ann.lee@example.com")?.account.id == account.id)
        #expect(try store.credentials(email: "ann@example.com") == nil)
    }

    @Test(arguments: StoreKind.allCases) func anEmailInUseCannotBeTaken(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount(email: "ann@example.com")
        _ = try fixture.createAccount(email: "bob@example.com")
        #expect(throws: StoreError.emailTaken) { try self.store.updateAccount(id: ann.id, name: "X", email: "BOB@example.com") }
        #expect(try store.account(id: ann.id)?.name == "Ann", "nothing changed, not even the name")
        _ = try store.updateAccount(id: ann.id, name: nil, email: "ann@example.com")  // its own email is fine
    }

    @Test(arguments: StoreKind.allCases) func sqlShapedValuesAreStoredAsText(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount()
        let hostile = "Robert'); DROP TABLE accounts; --"
        _ = try store.updateAccount(id: account.id, name: hostile, email: nil)
        #expect(try store.account(id: account.id)?.name == hostile)
        #expect(try store.account(id: "' OR '1'='1") == nil)
        #expect(try store.session(id: "' OR 1=1 --", accountID: account.id) == nil)
        #expect(try store.deleteSession(id: "' OR 1=1 --", accountID: "' OR 1=1 --") == .notFound)
    }

    @Test(arguments: StoreKind.allCases) func deletingASessionKeepsItsUsageAndTheBalance(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 60_000)
        try fixture.startSession("s1", accountID: account.id)
        _ = try store.settle([UsageCharge(sessionID: "s1", accountID: account.id, ms: 10_000)], at: at(1))
        #expect(try store.deleteSession(id: "s1", accountID: account.id) == .running, "a live interview is not deleted")
        _ = try store.closeAbandonedSessions(at: at(2))

        #expect(try store.deleteSession(id: "s1", accountID: account.id) == .deleted)
        #expect(try store.session(id: "s1", accountID: account.id) == nil)
        #expect(try store.sessions(accountID: account.id).isEmpty)
        #expect(try store.balance(accountID: account.id) == 50_000)
        let usage = try #require(try store.ledger(accountID: account.id).last)
        #expect(usage.kind == .usage && usage.amountMs == -10_000 && usage.sessionID == nil)
        #expect(try store.deleteSession(id: "s1", accountID: account.id) == .notFound)
        #expect(try fixture.rows("SELECT COUNT(*) AS n FROM turns").first?["n"] == "0")
    }

    @Test(arguments: StoreKind.allCases) func anotherAccountCannotDeleteTheSession(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount(email: "ann@example.com")
        let bob = try fixture.createAccount(email: "bob@example.com")
        try endedSession("s1", accountID: ann.id)
        #expect(try store.deleteSession(id: "s1", accountID: bob.id) == .notFound)
        #expect(try store.session(id: "s1", accountID: ann.id) != nil)
    }

    @Test(arguments: StoreKind.allCases) func exportHoldsEverythingAboutTheAccountAndNothingElse(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount(email: "ann@example.com", trialMs: 60_000)
        let bob = try fixture.createAccount(email: "bob@example.com")
        try endedSession("a1", accountID: ann.id)
        try endedSession("b1", accountID: bob.id)
        _ = try store.issueToken(accountID: ann.id, at: t0, lifetime: 3_600, idleTimeout: 600)
        _ = try store.applyPayment(PaymentEvent(eventID: "evt_1", accountID: ann.id,
                                                kind: .purchase(productID: "minutes-30", amountMs: 1_800_000),
                                                bodyDigest: Data([1])), at: at(5))
        let export = try #require(try store.exportData(accountID: ann.id))
        #expect(export.account.email == "ann@example.com" && export.account.birthDate == "1990-01-01")
        #expect(export.sessions.map(\.session.id) == ["a1"])
        #expect(export.sessions.first?.turns.count == 1)
        #expect(export.ledger.map(\.kind) == [.trial, .purchase])
        #expect(export.payments.map(\.eventID) == ["evt_1"])
        #expect(export.tokens.count == 1 && export.tokens[0].idleExpiresAt == at(600))
        #expect(try store.exportData(accountID: "nobody") == nil)
    }

    @Test(arguments: StoreKind.allCases) func deletingTheAccountLeavesOnlyAnonymousLedgerEntries(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount(email: "ann@example.com", trialMs: 60_000)
        let bob = try fixture.createAccount(email: "bob@example.com")
        try endedSession("a1", accountID: ann.id)
        try endedSession("b1", accountID: bob.id)
        _ = try store.settle([UsageCharge(sessionID: "a1", accountID: ann.id, ms: 5_000)], at: at(3))
        _ = try store.addEntry(accountID: ann.id, kind: .grant, amountMs: 1_000, reason: "sorry Ann Lee, ann@example.com", at: at(4))
        _ = try store.applyPayment(PaymentEvent(eventID: "evt_1", accountID: ann.id,
                                                kind: .purchase(productID: "minutes-30", amountMs: 1_800_000),
                                                bodyDigest: Data([1])), at: at(5))
        let token = try store.issueToken(accountID: ann.id, at: t0, lifetime: 3_600)
        let ledgerBefore = try store.ledger(accountID: ann.id)

        #expect(try store.deleteAccount(id: ann.id) == ["a1"])

        #expect(try store.account(id: ann.id) == nil)
        #expect(try store.credentials(email: "ann@example.com") == nil)
        #expect(try store.accountID(forToken: token, at: t0) == nil)
        #expect(try store.session(id: "a1", accountID: ann.id) == nil)
        #expect(try store.session(id: "b1", accountID: bob.id) != nil, "other accounts are untouched")
        // Every amount stays for accounting, but nothing in the database points to Ann any more.
        let kept = try fixture.rows("SELECT * FROM ledger_entries WHERE account_id IS NULL ORDER BY seq")
        #expect(kept.map { $0["amount_ms"].flatMap { Int64($0) } } == ledgerBefore.map(\.amountMs))
        #expect(kept.allSatisfy { $0["session_id"] == nil })
        for case .text(let value) in try fixture.storedValues() {
            #expect(!value.contains("ann@example.com") && !value.contains("Ann Lee") && !value.contains(ann.id),
                    "found \(value)")
        }
        #expect(try store.paymentEvent(id: "evt_1") != nil, "the event id stays, so a replay is still not applied twice")
        #expect(try store.applyPayment(PaymentEvent(eventID: "evt_2", accountID: ann.id,
                                                    kind: .purchase(productID: "minutes-30", amountMs: 1),
                                                    bodyDigest: Data([2])), at: at(6)) == .accountNotFound)
        #expect(try store.deleteAccount(id: ann.id) == nil)
        #expect(try store.ledger(accountID: bob.id).count == 1)
    }

    /// Settling a session whose account was deleted meanwhile charges nothing and fails no one else's charge.
    @Test(arguments: StoreKind.allCases) func settlingAfterAccountDeletionSkipsIt(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount(email: "ann@example.com", trialMs: 60_000)
        let bob = try fixture.createAccount(email: "bob@example.com", trialMs: 60_000)
        try fixture.startSession("b1", accountID: bob.id)
        _ = try store.deleteAccount(id: ann.id)
        let balances = try store.settle([UsageCharge(sessionID: "a1", accountID: ann.id, ms: 1_000),
                                         UsageCharge(sessionID: "b1", accountID: bob.id, ms: 1_000)], at: at(1))
        #expect(balances == [bob.id: 59_000])
    }
}

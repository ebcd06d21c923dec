import Dispatch
import Foundation
import Testing
import Security
import Store

/// Purchases and refunds from the payment processor: exactly once per event id, in any order, never below zero.
@Suite final class PaymentTests {
    /// Set by each test for the store it runs against.
    var fixture: StoreFixture!
    var store: any EngineStore { fixture.store }

    func purchase(_ id: String, _ accountID: String, ms: Int64 = 3_600_000, body: String? = nil) -> PaymentEvent {
        PaymentEvent(eventID: id, accountID: accountID, kind: .purchase(productID: "minutes-60", amountMs: ms),
                     bodyDigest: Digest.sha256(Data((body ?? "purchase \(id)").utf8)))
    }

    func refund(_ id: String, _ accountID: String, of purchaseID: String) -> PaymentEvent {
        PaymentEvent(eventID: id, accountID: accountID, kind: .refund(purchaseEventID: purchaseID),
                     bodyDigest: Digest.sha256(Data("refund \(id)".utf8)))
    }

    func receipt(_ outcome: PaymentOutcome, sourceLocation: SourceLocation = #_sourceLocation) -> PaymentReceipt? {
        if case .applied(let receipt) = outcome { return receipt }
        Issue.record("expected applied, got \(outcome)", sourceLocation: sourceLocation)
        return nil
    }

    @Test(arguments: StoreKind.allCases) func aPurchaseAddsItsMinutesOnceWithTheEventIDOnTheEntry(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 0)
        let first = try #require(receipt(try store.applyPayment(purchase("evt_1", account.id), at: at(1))))
        #expect(first.amountMs == 3_600_000 && first.requestedMs == 3_600_000 && first.kind == "purchase")
        #expect(try store.balance(accountID: account.id) == 3_600_000)
        let entry = try #require(try store.ledger(accountID: account.id).last)
        #expect(entry.kind == .purchase && entry.externalID == "evt_1" && entry.entryID == first.entryID)
    }

    @Test(arguments: StoreKind.allCases) func aReplayGetsTheFirstReceiptAndChangesNothing(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 0)
        let first = try #require(receipt(try store.applyPayment(purchase("evt_1", account.id), at: at(1))))
        for second in 2...5 {
            #expect(try store.applyPayment(purchase("evt_1", account.id), at: at(Double(second))) == .replayed(first))
        }
        #expect(try store.balance(accountID: account.id) == 3_600_000)
        #expect(try store.ledger(accountID: account.id).count == 1)
        #expect(try store.paymentEvent(id: "evt_1")?.receipt == first)
    }

    @Test(arguments: StoreKind.allCases) func theSameIDWithAnotherBodyIsRefused(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 0)
        _ = try store.applyPayment(purchase("evt_1", account.id), at: at(1))
        #expect(try store.applyPayment(purchase("evt_1", account.id, ms: 99_000_000, body: "forged"), at: at(2)) == .conflictingReplay)
        #expect(try store.balance(accountID: account.id) == 3_600_000)
    }

    @Test(arguments: StoreKind.allCases) func aRefundTakesBackOnlyWhatIsLeft(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 0)
        _ = try store.applyPayment(purchase("evt_buy", account.id, ms: 60_000), at: at(1))
        try fixture.startSession("s1", accountID: account.id)
        _ = try store.settle([UsageCharge(sessionID: "s1", accountID: account.id, ms: 45_000)], at: at(2))
        let refunded = try #require(receipt(try store.applyPayment(refund("evt_ref", account.id, of: "evt_buy"), at: at(3))))
        #expect(refunded.requestedMs == -60_000)
        #expect(refunded.amountMs == -15_000, "45 s were used: only the 15 s left can be taken back")
        #expect(try store.balance(accountID: account.id) == 0)
        #expect(try fixture.ledgerSum(account.id) == 0)
    }

    @Test(arguments: StoreKind.allCases) func aRefundAtZeroMovesNothingButIsRemembered(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 0)
        _ = try store.applyPayment(purchase("evt_buy", account.id, ms: 1_000), at: at(1))
        try fixture.startSession("s1", accountID: account.id)
        _ = try store.settle([UsageCharge(sessionID: "s1", accountID: account.id, ms: 1_000)], at: at(2))
        let refunded = try #require(receipt(try store.applyPayment(refund("evt_ref", account.id, of: "evt_buy"), at: at(3))))
        #expect(refunded.amountMs == 0 && refunded.entryID == nil)
        #expect(try store.applyPayment(refund("evt_ref", account.id, of: "evt_buy"), at: at(4)) == .replayed(refunded))
    }

    @Test(arguments: StoreKind.allCases) func aRefundBeforeItsPurchaseIsNotRememberedSoItsRetryApplies(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 0)
        #expect(try store.applyPayment(refund("evt_ref", account.id, of: "evt_buy"), at: at(1)) == .purchaseNotFound)
        #expect(try store.paymentEvent(id: "evt_ref") == nil)
        _ = try store.applyPayment(purchase("evt_buy", account.id, ms: 60_000), at: at(2))
        #expect(receipt(try store.applyPayment(refund("evt_ref", account.id, of: "evt_buy"), at: at(3)))?.amountMs == -60_000)
        #expect(try store.balance(accountID: account.id) == 0)
    }

    @Test(arguments: StoreKind.allCases) func aPurchaseIsRefundedOnlyOnce(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 0)
        _ = try store.applyPayment(purchase("evt_buy", account.id), at: at(1))
        _ = try store.applyPayment(purchase("evt_buy2", account.id), at: at(1))
        _ = try store.applyPayment(refund("evt_ref1", account.id, of: "evt_buy"), at: at(2))
        #expect(try store.applyPayment(refund("evt_ref2", account.id, of: "evt_buy"), at: at(3)) == .alreadyRefunded(byEventID: "evt_ref1"))
        #expect(try store.balance(accountID: account.id) == 3_600_000)
    }

    @Test(arguments: StoreKind.allCases) func anotherAccountsPurchaseCannotBeRefundedHere(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let ann = try fixture.createAccount(email: "ann@example.com", trialMs: 0)
        let bob = try fixture.createAccount(email: "bob@example.com", trialMs: 0)
        _ = try store.applyPayment(purchase("evt_buy", ann.id), at: at(1))
        #expect(try store.applyPayment(refund("evt_ref", bob.id, of: "evt_buy"), at: at(2)) == .purchaseNotFound)
        #expect(try store.balance(accountID: ann.id) == 3_600_000)
    }

    @Test(arguments: StoreKind.allCases) func unknownAccountsAndBadAmountsChangeNothing(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        #expect(try store.applyPayment(purchase("evt_1", "nobody"), at: at(1)) == .accountNotFound)
        #expect(try store.paymentEvent(id: "evt_1") == nil)
        let account = try fixture.createAccount(trialMs: 5)
        #expect(throws: StoreError.self) { try self.store.applyPayment(self.purchase("evt_2", account.id, ms: -1), at: at(1)) }
        #expect(throws: StoreError.self) { try self.store.applyPayment(self.purchase("evt_3", account.id, ms: .max), at: at(1)) }
        #expect(try store.paymentEvent(id: "evt_2") == nil && store.paymentEvent(id: "evt_3") == nil)
        #expect(try store.balance(accountID: account.id) == 5)
    }

    @Test(arguments: StoreKind.allCases) func concurrentDeliveriesOfOneEventApplyItOnce(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 0)
        let store = self.store
        let event = purchase("evt_race", account.id)
        let outcomes = Outcomes()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in outcomes.add(Result { try store.applyPayment(event, at: at(1)) }) }
        let results = try outcomes.all.map { try $0.get() }
        #expect(results.filter { if case .applied = $0 { true } else { false } }.count == 1)
        #expect(results.filter { if case .replayed = $0 { true } else { false } }.count == 7)
        #expect(try store.balance(accountID: account.id) == 3_600_000)
    }
}

final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<PaymentOutcome, any Error>] = []
    func add(_ result: Result<PaymentOutcome, any Error>) { lock.withLock { results.append(result) } }
    var all: [Result<PaymentOutcome, any Error>] { lock.withLock { results } }
}

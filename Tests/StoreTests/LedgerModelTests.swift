import Dispatch
import Foundation
import Testing
import TestSupport
import Security
import Store

/// Model-based test of the minute ledger: random sequences of purchases (and their replays), grants, operator
/// refunds, processor refunds, corrections and usage from several sessions of several accounts, checked after every
/// step against a reference model that is a few lines of arithmetic.
@Suite final class LedgerModelTests {
    /// Set by each test for the store it runs against.
    var fixture: StoreFixture!
    var store: any EngineStore { fixture.store }

    /// The reference: what every balance must be.
    struct Model {
        var balances: [String: Int64] = [:]
        /// Purchase event id → (account, amount, refunded by).
        var purchases: [String: (account: String, amount: Int64, refundedBy: String?)] = [:]
        var receipts: [String: PaymentReceipt] = [:]
        /// Event ids in the order they were applied: random picks come from these arrays, never from a dictionary,
        /// whose order changes with every process (and every table) and would make a seed impossible to replay.
        var purchaseIDs: [String] = []
        var receiptIDs: [String] = []
        var credited: [String: Int64] = [:]
        var charged: [String: Int64] = [:]
    }

    @Test(arguments: StoreKind.allCases, [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomSequencesAgreeWithTheModel(_ kind: StoreKind, seed: UInt64) throws {
        _ = try Self.play(seed: seed, on: StoreFixture(kind))
    }

    /// The promise that makes a failing seed worth reporting: the same seed plays the same steps, on a fresh store,
    /// within one process (where hash-seeded dictionary order would already differ between two tables).
    @Test(arguments: StoreKind.allCases) func aSeedReplaysTheSameSequence(_ kind: StoreKind) throws {
        let first = try Self.play(seed: 42, on: StoreFixture(kind))
        let again = try Self.play(seed: 42, on: StoreFixture(kind))
        let split = zip(first, again).enumerated().first { $0.element.0 != $0.element.1 }
        let difference = split.map { "line \($0.offset): \($0.element.0) / \($0.element.1)" } ?? "one trace is longer"
        #expect(first == again, "the replay differs at \(difference)")
        // The trace says enough to tell seeds apart, so the comparison above can fail.
        #expect(try Self.play(seed: 43, on: StoreFixture(kind)) != first)
    }

    static let steps = 150

    /// Plays `steps` random steps seeded with `seed`, checking the store against the model after each; returns what
    /// was done, one line per account created and per step, with accounts named by their index.
    static func play(seed: UInt64, on fixture: StoreFixture) throws -> [String] {
        let store = fixture.store
        var random = SeededGenerator(state: seed)
        var model = Model()
        var accounts: [String] = []
        var sessions: [String: [String]] = [:]
        var trace: [String] = []
        for index in 0..<3 {
            let trial = Int64.random(in: 0...5_000, using: &random)
            let account = try fixture.createAccount(email: "user\(index)@example.com", trialMs: trial)
            accounts.append(account.id)
            model.balances[account.id] = trial
            model.credited[account.id] = trial
            sessions[account.id] = try (0..<3).map { try fixture.startSession("s\(index)-\($0)", accountID: account.id) }
            trace.append("account \(index): trial \(trial)")
        }
        func name(_ account: String) -> Int { accounts.firstIndex(of: account)! }
        var eventNumber = 0

        for step in 0..<steps {
            let account = accounts.randomElement(using: &random)!
            let time = at(Double(step))
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<15:  // a new purchase
                eventNumber += 1
                let id = "evt_\(eventNumber)"
                let amount = Int64.random(in: 1...10_000, using: &random)
                trace.append("\(step): purchase \(id) of \(amount) by \(name(account))")
                let event = PaymentEvent(eventID: id, accountID: account, kind: .purchase(productID: "p", amountMs: amount),
                                         bodyDigest: Digest.sha256(Data(id.utf8)))
                guard case .applied(let receipt) = try store.applyPayment(event, at: time) else {
                    Issue.record("step \(step): a new purchase was not applied")
                    continue
                }
                model.balances[account]! += amount
                model.credited[account]! += amount
                model.purchases[id] = (account, amount, nil)
                model.purchaseIDs.append(id)
                model.receipts[id] = receipt
                model.receiptIDs.append(id)
            case 15..<25:  // a replay of any earlier event, purchase or refund
                guard let id = model.receiptIDs.randomElement(using: &random), let receipt = model.receipts[id] else {
                    trace.append("\(step): no event to replay")
                    continue
                }
                trace.append("\(step): replay \(id)")
                let kind: PaymentEvent.Kind = receipt.kind == "purchase"
                    ? .purchase(productID: "p", amountMs: receipt.requestedMs)
                    : .refund(purchaseEventID: receipt.purchaseEventID!)
                let owner = model.purchases[receipt.purchaseEventID ?? id]!.account
                let replay = PaymentEvent(eventID: id, accountID: owner, kind: kind, bodyDigest: Digest.sha256(Data(id.utf8)))
                #expect(try store.applyPayment(replay, at: time) == .replayed(receipt), "step \(step)")
            case 25..<35:  // a processor refund of a known or unknown purchase
                eventNumber += 1
                let id = "evt_\(eventNumber)"
                let target = Bool.random(using: &random) ? model.purchaseIDs.randomElement(using: &random) ?? "evt_none" : "evt_none"
                let owner = model.purchases[target]?.account ?? account
                trace.append("\(step): refund \(id) of \(target) for \(name(owner))")
                let event = PaymentEvent(eventID: id, accountID: owner, kind: .refund(purchaseEventID: target),
                                         bodyDigest: Digest.sha256(Data(id.utf8)))
                let outcome = try store.applyPayment(event, at: time)
                guard let purchase = model.purchases[target] else {
                    #expect(outcome == .purchaseNotFound, "step \(step)")
                    continue
                }
                if let earlier = purchase.refundedBy {
                    #expect(outcome == .alreadyRefunded(byEventID: earlier), "step \(step)")
                    continue
                }
                let taken = min(purchase.amount, model.balances[owner]!)
                guard case .applied(let receipt) = outcome else {
                    Issue.record("step \(step): refund not applied: \(outcome)")
                    continue
                }
                #expect(receipt.amountMs == -taken && receipt.requestedMs == -purchase.amount)
                model.balances[owner]! -= taken
                model.purchases[target]!.refundedBy = id
                model.receipts[id] = receipt
                model.receiptIDs.append(id)
            case 35..<45:  // an operator grant
                let amount = Int64.random(in: 1...5_000, using: &random)
                trace.append("\(step): grant \(amount) to \(name(account))")
                #expect(try store.addEntry(accountID: account, kind: .grant, amountMs: amount, reason: "gift", at: time)
                        == model.balances[account]! + amount)
                model.balances[account]! += amount
                model.credited[account]! += amount
            case 45..<55:  // an operator refund or correction that may be too large
                let amount = Int64.random(in: 1...8_000, using: &random)
                let kind: LedgerEntry.Kind = Bool.random(using: &random) ? .refund : .correction
                trace.append("\(step): \(kind) of \(amount) from \(name(account))")
                if amount <= model.balances[account]! {
                    #expect(try store.addEntry(accountID: account, kind: kind, amountMs: -amount, reason: "fix", at: time)
                            == model.balances[account]! - amount)
                    model.balances[account]! -= amount
                } else {
                    #expect(throws: StoreError.self) {
                        try store.addEntry(accountID: account, kind: kind, amountMs: -amount, reason: "fix", at: time)
                    }
                }
            default:  // a settlement: usage from several live sessions, some of one account, in one transaction
                var charges: [UsageCharge] = []
                for _ in 0..<Int.random(in: 1...5, using: &random) {
                    let owner = accounts.randomElement(using: &random)!
                    charges.append(UsageCharge(sessionID: sessions[owner]!.randomElement(using: &random)!, accountID: owner,
                                               ms: Int64.random(in: -100...1_500, using: &random)))
                }
                trace.append("\(step): settle " + charges.map { "\($0.sessionID) \($0.ms)" }.joined(separator: ", "))
                var expected: [String: Int64] = [:]
                for charge in charges {
                    let taken = min(max(0, charge.ms), model.balances[charge.accountID]!)
                    model.balances[charge.accountID]! -= taken
                    model.charged[charge.accountID, default: 0] += taken
                    expected[charge.accountID] = model.balances[charge.accountID]!
                }
                #expect(try store.settle(charges, at: time) == expected, "step \(step)")
            }
            for id in accounts {
                let balance = try store.balance(accountID: id)
                #expect(balance == model.balances[id], "step \(step), seed \(seed)")
                #expect(balance >= 0)
                #expect(try fixture.ledgerSum(id) == balance, "the cached balance is the sum of the entries")
            }
        }
        for id in accounts {
            let ledger = try store.ledger(accountID: id)
            let usage = -ledger.filter { $0.kind == .usage }.map(\.amountMs).reduce(0, +)
            #expect(usage == model.charged[id, default: 0])
            #expect(usage <= model.credited[id]!, "never more charged than bought or granted")
            #expect(Set(ledger.map(\.entryID)).count == ledger.count, "entry ids are unique")
            let billed = try store.sessions(accountID: id).map(\.billedMs).reduce(0, +)
            #expect(billed == usage, "what sessions show as billed is what the ledger charged")
        }
        return trace
    }

    /// Several threads settle the sessions of one account at once while purchases arrive: the balance never goes
    /// below zero and the total charged never exceeds what was bought.
    @Test(arguments: StoreKind.allCases) func concurrentSettlementsNeverOvercharge(_ kind: StoreKind) throws {
        fixture = try StoreFixture(kind)
        let account = try fixture.createAccount(trialMs: 20_000)
        let sessionIDs = try (0..<4).map { try fixture.startSession("race-\($0)", accountID: account.id) }
        let store = self.store
        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<25 {
                do {
                    if worker == 0 && round % 5 == 0 {
                        _ = try store.applyPayment(PaymentEvent(eventID: "buy-\(round)", accountID: account.id,
                                                                kind: .purchase(productID: "p", amountMs: 2_000),
                                                                bodyDigest: Data([UInt8(round)])), at: at(Double(round)))
                    }
                    let charges = sessionIDs.map { UsageCharge(sessionID: $0, accountID: account.id, ms: 150) }
                    let balances = try store.settle(charges, at: at(Double(round)))
                    if (balances[account.id] ?? -1) < 0 { failures.add() }
                } catch {
                    failures.add()
                }
            }
        }
        #expect(failures.value == 0)
        let ledger = try store.ledger(accountID: account.id)
        let credited = ledger.filter { $0.amountMs > 0 }.map(\.amountMs).reduce(0, +)
        let charged = -ledger.filter { $0.kind == .usage }.map(\.amountMs).reduce(0, +)
        #expect(credited == 30_000)
        #expect(charged <= credited)
        #expect(charged == 30_000, "8 workers × 25 rounds × 4 sessions × 150 ms is far more than was bought")
        #expect(try store.balance(accountID: account.id) == 0)
        #expect(try fixture.ledgerSum(account.id) == 0)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

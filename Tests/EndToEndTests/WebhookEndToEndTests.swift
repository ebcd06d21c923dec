import EngineClient
import Foundation
import Security
import TestSupport
import Testing

/// POST /v1/billing/webhook against the real server: signatures, exactly-once, order, bad input.
@Suite struct WebhookEndToEndTests {
    static let secret = "whsec_e2e_secret"

    func engine(secrets: [String] = [secret], clock: ManualClock = ManualClock()) throws -> TestEngine {
        try TestEngine(trialMinutes: 0) {
            $0.webhookSecrets = secrets
            $0.products = ["minutes-30": 30, "minutes-60": 60, "minutes-120": 120]
            $0.clock = { clock.now }
        }
    }

    @Test func aSignedPurchaseAddsItsMinutesExactlyOnce() throws {
        let clock = ManualClock()
        let engine = try engine(clock: clock)
        let (token, account) = try engine.signUpWithID()
        let sender = WebhookSender(http: engine.http, secrets: [Self.secret], clock: { clock.now })

        let body = try JSONSerialization.data(withJSONObject: WebhookSender.purchase("evt_100", account: account, product: "minutes-60"),
                                              options: [.sortedKeys])
        let first = try sender.send(body)
        #expect(first.status == 200)
        #expect(first.json["status"] as? String == "applied")
        #expect(first.json["amount_ms"] as? Int == 3_600_000)
        #expect(first.json["event_id"] as? String == "evt_100")
        #expect(first.headers["idempotent-replayed"] == nil)
        #expect(try engine.balance(token) == 3_600_000)

        // The processor retries (a minute later, newly signed): the first answer, nothing applied again.
        clock.advance(60)
        let replay = try sender.send(body)
        #expect(replay.status == 200)
        #expect(replay.body == first.body)
        #expect(replay.headers["idempotent-replayed"] == "true")
        #expect(try engine.balance(token) == 3_600_000)

        // Quantities multiply the product; the ledger shows the event id.
        let three = try sender.send(WebhookSender.purchase("evt_101", account: account, product: "minutes-30", quantity: 3))
        #expect(three.json["amount_ms"] as? Int == 5_400_000)
        #expect(try engine.balance(token) == 9_000_000)
        let ledger = try engine.http.send("GET", "v1/billing/ledger", token: token).json
        let entries = try #require(ledger["entries"] as? [[String: Any]])
        #expect(entries.compactMap { $0["external_id"] as? String } == ["evt_100", "evt_101"])
        #expect(ledger["balance_ms"] as? Int == 9_000_000)
    }

    @Test func badAndStaleSignaturesAreRefusedAndChangeNothing() throws {
        let clock = ManualClock()
        let engine = try engine(clock: clock)
        let (token, account) = try engine.signUpWithID()
        let body = try JSONSerialization.data(withJSONObject: WebhookSender.purchase("evt_1", account: account))
        let now = Int64(clock.now.timeIntervalSince1970)
        let wrongSecret = WebhookSender(http: engine.http, secrets: ["whsec_attacker"], clock: { clock.now })
        let right = WebhookSender(http: engine.http, secrets: [Self.secret], clock: { clock.now })

        let forged = try wrongSecret.send(body)
        #expect(forged.status == 401 && forged.errorCode == "invalid_signature")
        let stale = try right.send(body, timestamp: now - 301)
        #expect(stale.status == 401 && stale.errorCode == "stale_signature")
        let future = try right.send(body, timestamp: now + 301)
        #expect(future.status == 401 && future.errorCode == "stale_signature")
        let missing = try engine.http.send("POST", "v1/billing/webhook", body: body)
        #expect(missing.status == 401 && missing.errorCode == "invalid_signature")
        let garbage = try right.send(body, header: "t=\(now),v1=nothex")
        #expect(garbage.status == 401)
        // A valid signature for another body does not carry over.
        let other = try JSONSerialization.data(withJSONObject: WebhookSender.purchase("evt_2", account: account))
        let signedOther = WebhookSignatureHeader.make(other, now, Self.secret)
        #expect(try right.send(body, header: signedOther).status == 401)
        #expect(try engine.balance(token) == 0)

        // Within the tolerance it is accepted: 4 minutes old is fine.
        #expect(try right.send(body, timestamp: now - 240).status == 200)
        #expect(try engine.balance(token) == 1_800_000)
    }

    @Test func aRotationAcceptsEitherSecret() throws {
        let clock = ManualClock()
        let engine = try engine(secrets: ["whsec_old", "whsec_new"], clock: clock)
        let (token, account) = try engine.signUpWithID()
        #expect(try WebhookSender(http: engine.http, secrets: ["whsec_old"], clock: { clock.now })
            .send(WebhookSender.purchase("evt_a", account: account)).status == 200)
        #expect(try WebhookSender(http: engine.http, secrets: ["whsec_new"], clock: { clock.now })
            .send(WebhookSender.purchase("evt_b", account: account)).status == 200)
        #expect(try WebhookSender(http: engine.http, secrets: ["whsec_new", "whsec_other"], clock: { clock.now })
            .send(WebhookSender.purchase("evt_c", account: account)).status == 200)
        #expect(try engine.balance(token) == 3 * 1_800_000)
    }

    @Test func aRefundThatArrivesFirstIsAppliedWhenRetriedAfterItsPurchase() throws {
        let clock = ManualClock()
        let engine = try engine(clock: clock)
        let (token, account) = try engine.signUpWithID()
        let sender = WebhookSender(http: engine.http, secrets: [Self.secret], clock: { clock.now })
        let refund = WebhookSender.refund("evt_r", account: account, purchase: "evt_p")

        let early = try sender.send(refund)
        #expect(early.status == 409 && early.errorCode == "purchase_not_found")
        #expect(try sender.send(WebhookSender.purchase("evt_p", account: account)).status == 200)
        let applied = try sender.send(refund)
        #expect(applied.status == 200 && applied.json["amount_ms"] as? Int == -1_800_000)
        #expect(try engine.balance(token) == 0)
        // Replays of both, in any order, change nothing.
        #expect(try sender.send(WebhookSender.purchase("evt_p", account: account)).headers["idempotent-replayed"] == "true")
        #expect(try sender.send(refund).headers["idempotent-replayed"] == "true")
        #expect(try engine.balance(token) == 0)
        let second = try sender.send(WebhookSender.refund("evt_r2", account: account, purchase: "evt_p"))
        #expect(second.status == 409 && second.errorCode == "already_refunded")
    }

    @Test func badEventsAreRefusedClearly() throws {
        let clock = ManualClock()
        let engine = try engine(clock: clock)
        let (token, account) = try engine.signUpWithID()
        let sender = WebhookSender(http: engine.http, secrets: [Self.secret], clock: { clock.now })
        let sql = "x'; DROP TABLE ledger_entries; --"

        let cases: [([String: Any], Int, String)] = [
            (WebhookSender.purchase("evt_q1", account: account, quantity: -1), 400, "invalid_event"),
            (WebhookSender.purchase("evt_q2", account: account, quantity: 0), 400, "invalid_event"),
            (WebhookSender.purchase("evt_q3", account: account, quantity: 1_000_000_000_000), 400, "invalid_event"),
            (WebhookSender.purchase("evt_q4", account: account, quantity: 1.5), 400, "invalid_event"),
            (WebhookSender.purchase("evt_q5", account: account, quantity: true), 400, "invalid_event"),
            (WebhookSender.purchase("evt_q6", account: account, quantity: "2"), 400, "invalid_event"),
            (WebhookSender.purchase("evt_p1", account: account, product: "minutes-9999"), 422, "unknown_product"),
            (WebhookSender.purchase("evt_p2", account: account, product: sql), 400, "invalid_event"),
            (WebhookSender.purchase(sql, account: account), 400, "invalid_event"),
            (WebhookSender.purchase("evt_a1", account: sql), 400, "invalid_event"),
            (WebhookSender.purchase("evt_a2", account: "0123456789abcdef0123456789abcdef"), 422, "unknown_account"),
            (["id": "evt_t", "data": [:] as [String: Any]], 400, "invalid_event"),
            (["type": "minutes.purchased"], 400, "invalid_event"),
            (["id": "evt_d", "type": "minutes.purchased", "data": "x"], 400, "invalid_event"),
        ]
        for (event, status, code) in cases {
            let response = try sender.send(event)
            #expect(response.status == status && response.errorCode == code, "\(event) → \(response.status) \(response.json)")
        }
        #expect(try sender.send(Data("not json".utf8)).status == 400)
        // Unknown event types are acknowledged and ignored, so the processor stops sending them.
        let other = try sender.send(["id": "evt_x", "type": "customer.updated", "data": [:] as [String: Any]])
        #expect(other.status == 200 && other.json["status"] as? String == "ignored")
        // The same id with another body is not a replay.
        #expect(try sender.send(WebhookSender.purchase("evt_same", account: account)).status == 200)
        let changed = try sender.send(WebhookSender.purchase("evt_same", account: account, product: "minutes-120"))
        #expect(changed.status == 409 && changed.errorCode == "event_id_conflict")
        #expect(try engine.balance(token) == 1_800_000)
        // Oversized bodies never reach the handler.
        let huge = try sender.send(Data(repeating: 0x20, count: 70_000))
        #expect(huge.status == 413)
        #expect(try engine.balance(token) == 1_800_000)
    }

    @Test func withoutASecretTheWebhookIsOff() throws {
        let engine = try engine(secrets: [])
        let (_, account) = try engine.signUpWithID()
        let response = try WebhookSender(http: engine.http, secrets: [""], clock: { Date() })
            .send(WebhookSender.purchase("evt_1", account: account))
        #expect(response.status == 503 && response.errorCode == "webhook_not_configured")
    }

    @Test func productsAreListed() throws {
        let engine = try engine()
        let products = try #require(try engine.http.send("GET", "v1/billing/products").json["products"] as? [[String: Any]])
        #expect(products.map { $0["id"] as? String } == ["minutes-120", "minutes-30", "minutes-60"])
        #expect(products.first?["minutes"] as? Double == 120)
    }
}

/// A signature header for `body`, for tests that pair one body's signature with another.
enum WebhookSignatureHeader {
    static func make(_ body: Data, _ timestamp: Int64, _ secret: String) -> String {
        "t=\(timestamp),v1=\(WebhookSignature.mac(body: body, timestamp: timestamp, secret: secret).hexString)"
    }
}

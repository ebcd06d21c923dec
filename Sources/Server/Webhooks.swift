import Foundation
import Interview
import Security
import Store

/// POST /v1/billing/webhook: top-ups and refunds from the payment processor (docs/PROTOCOL.md §8.1).
///
/// Order of checks: the signature over the raw body (so nothing unauthenticated is even parsed), then the event's
/// shape, then the store applies it exactly once per event id. Only applied events are remembered; a refused event
/// changes nothing and may be sent again.
extension APIRoutes {
    static let signatureHeader = "Jestry-Signature"

    func billingWebhook(_ request: HTTPRequest) throws -> HTTPResponse {
        guard !configuration.webhookSecrets.isEmpty else {
            return .error(503, "webhook_not_configured", "This server has no webhook secret; set JESTRY_WEBHOOK_SECRET.")
        }
        switch WebhookSignature.verify(header: request.webhookSignature, body: request.body,
                                       secrets: configuration.webhookSecrets, now: now,
                                       tolerance: configuration.webhookTolerance) {
        case .success:
            break
        case .failure(.stale(let age)):
            logger.warning("webhook with a stale signature refused", metadata: ["age_seconds": "\(age)"])
            return .error(401, "stale_signature", "The signature's timestamp is more than 5 minutes from now; nothing was changed.")
        case .failure(.malformed):
            logger.warning("webhook without a valid signature header refused")
            return .error(401, "invalid_signature",
                          "Send \(Self.signatureHeader): t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">; nothing was changed.")
        case .failure(.mismatch):
            logger.warning("webhook with a wrong signature refused")
            return .error(401, "invalid_signature", "The signature does not match; nothing was changed.")
        }
        let event: ParsedWebhook
        switch ParsedWebhook.parse(request.body) {
        case .success(let parsed): event = parsed
        case .failure(let response): return response
        }
        let digest = Digest.sha256(request.body)
        // A replay gets the first answer even if the products have been reconfigured since.
        if let seen = try store.paymentEvent(id: event.id) {
            return seen.bodyDigest == digest ? receiptResponse(seen.receipt, replayed: true) : conflict(event.id)
        }
        let kind: PaymentEvent.Kind
        switch event.type {
        case "minutes.purchased":
            guard let productMs = configuration.productMs(event.product ?? "") else {
                return .error(422, "unknown_product", "There is no product \"\(event.product ?? "")\"; GET /v1/billing/products lists them. Nothing was changed.")
            }
            let (amount, overflow) = productMs.multipliedReportingOverflow(by: Int64(event.quantity))
            guard !overflow else { return .error(400, "invalid_field", "data.quantity is too large.") }
            kind = .purchase(productID: event.product!, amountMs: amount)
        case "minutes.refunded":
            kind = .refund(purchaseEventID: event.purchaseEventID!)
        default:
            // Acknowledged so the processor stops sending it; nothing is stored.
            return .json(200, ["event_id": event.id, "status": "ignored", "type": event.type])
        }
        let outcome = try store.applyPayment(PaymentEvent(eventID: event.id, accountID: event.accountID!, kind: kind,
                                                          bodyDigest: digest), at: now)
        switch outcome {
        case .applied(let receipt):
            logger.info("payment event applied", metadata: ["event.id": "\(receipt.eventID)", "kind": "\(receipt.kind)",
                                                             "amount_ms": "\(receipt.amountMs)", "account.id": "\(event.accountID!)"])
            return receiptResponse(receipt, replayed: false)
        case .replayed(let receipt):
            return receiptResponse(receipt, replayed: true)
        case .conflictingReplay:
            return conflict(event.id)
        case .accountNotFound:
            return .error(422, "unknown_account", "There is no account \(event.accountID!.prefix(64)); nothing was changed.")
        case .purchaseNotFound:
            return .error(409, "purchase_not_found",
                          "No purchase \(event.purchaseEventID!.prefix(255)) of this account is known yet; send the refund again later.")
        case .alreadyRefunded(let refundID):
            return .error(409, "already_refunded", "That purchase was already refunded by event \(refundID); nothing was changed.")
        }
    }

    private func receiptResponse(_ receipt: PaymentReceipt, replayed: Bool) -> HTTPResponse {
        var response = HTTPResponse.json(200, ReceiptView(receipt: receipt))
        if replayed { response.headers.append((name: "idempotent-replayed:", value: "true")) }
        return response
    }

    private func conflict(_ id: String) -> HTTPResponse {
        .error(409, "event_id_conflict", "Event \(id) was already received with a different body; nothing was changed.")
    }
}

/// The answer for an applied event, the same for every replay.
struct ReceiptView: Encodable {
    var receipt: PaymentReceipt
    var status = "applied"

    enum CodingKeys: String, CodingKey {
        case status
    }

    func encode(to encoder: any Encoder) throws {
        try receipt.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
    }
}

/// A webhook body with its fields checked; `type`-specific fields are present when that type needs them.
struct ParsedWebhook {
    var id: String
    var type: String
    var accountID: String?
    var product: String?
    var quantity: Int = 1
    var purchaseEventID: String?

    static let maxQuantity = 100

    static func parse(_ body: Data) -> Result<ParsedWebhook, HTTPResponse> {
        func invalid(_ message: String) -> Result<ParsedWebhook, HTTPResponse> {
            .failure(.error(400, "invalid_event", "\(message) Nothing was changed."))
        }
        guard JSONNesting.isWithinLimit(body) else {
            return invalid("The body nests arrays or objects more than \(JSONNesting.maxDepth) levels deep.")
        }
        guard let object = try? JSONSerialization.jsonObject(with: body), let fields = object as? [String: Any] else {
            return invalid("The body must be a JSON object.")
        }
        guard let id = fields["id"] as? String, isIdentifier(id) else {
            return invalid("\"id\" must be a string of 1 to 255 letters, digits, '_', '-', '.' or ':'.")
        }
        guard let type = fields["type"] as? String, !type.isEmpty, type.utf8.count <= 100 else {
            return invalid("\"type\" must be a string.")
        }
        var event = ParsedWebhook(id: id, type: type)
        guard type == "minutes.purchased" || type == "minutes.refunded" else { return .success(event) }
        guard let data = fields["data"] as? [String: Any] else { return invalid("\"data\" must be an object.") }
        guard let accountID = data["account_id"] as? String, isIdentifier(accountID) else {
            return invalid("\"data.account_id\" must be the account's id.")
        }
        event.accountID = accountID
        if type == "minutes.purchased" {
            guard let product = data["product"] as? String, isIdentifier(product) else {
                return invalid("\"data.product\" must be a product id.")
            }
            event.product = product
            if data["quantity"] != nil, !(data["quantity"] is NSNull) {
                // Decoded strictly: booleans, strings and fractions are not quantities.
                guard let whole = try? JSONDecoder().decode(QuantityField.self, from: body).data.quantity,
                      (1...maxQuantity).contains(whole) else {
                    return invalid("\"data.quantity\" must be a whole number from 1 to \(maxQuantity).")
                }
                event.quantity = whole
            }
        } else {
            guard let purchase = data["purchase_event_id"] as? String, isIdentifier(purchase) else {
                return invalid("\"data.purchase_event_id\" must be the id of the purchase event being refunded.")
            }
            event.purchaseEventID = purchase
        }
        return .success(event)
    }

    private struct QuantityField: Decodable {
        struct Inner: Decodable { var quantity: Int? }
        var data: Inner
    }

    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 255 && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || [UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":")].contains(byte)
        }
    }
}

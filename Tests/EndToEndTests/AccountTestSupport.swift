import EngineClient
import Foundation
import Security
import TestSupport
import Testing

/// One HTTP/1.1 exchange over a plain TCP socket, for requests URLSession cannot make: a WebSocket upgrade whose
/// `101 Switching Protocols` or refusal the test wants to see as is.
enum RawHTTP {
    /// Sends `request` to 127.0.0.1:`port` and returns what arrives until the headers end (or the peer closes).
    static func exchange(port: Int, _ request: String) throws -> String {
        let socket = try RawSocket(port: port)
        guard socket.write(request) else { throw RawHTTPError.send }
        var received = Data()
        while true {
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                // A 101 has no body; otherwise read the body the headers announce.
                if text.hasPrefix("HTTP/1.1 101") { break }
                if let length = contentLength(text), text[end.upperBound...].utf8.count >= length { break }
            }
            guard let chunk = socket.receive(timeout: 10) else { break }
            received.append(chunk)
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// A WebSocket upgrade request for /v1/interview with the given extra header lines.
    static func upgrade(port: Int, headers: [String]) throws -> String {
        let lines = ["GET /v1/interview HTTP/1.1", "Host: 127.0.0.1:\(port)", "Connection: Upgrade", "Upgrade: websocket",
                     "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="] + headers
        return try exchange(port: port, lines.joined(separator: "\r\n") + "\r\n\r\n")
    }

    static func status(_ response: String) -> Int? {
        response.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) }
    }

    static func contentLength(_ text: String) -> Int? {
        for line in text.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    enum RawHTTPError: Error { case send }
}

extension HTTPClient.Response {
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

/// Signs webhook bodies the way the payment processor does.
struct WebhookSender {
    let http: HTTPClient
    var secrets: [String]
    var clock: () -> Date

    func send(_ body: Data, timestamp: Int64? = nil, header: String? = nil) throws -> HTTPClient.Response {
        let t = timestamp ?? Int64(clock().timeIntervalSince1970)
        let signature = header ?? WebhookSignature.header(body: body, timestamp: t, secrets: secrets)
        return try http.send("POST", "v1/billing/webhook", body: body, headers: ["Jestry-Signature": signature])
    }

    func send(_ event: [String: Any]) throws -> HTTPClient.Response {
        try send(try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
    }

    static func purchase(_ id: String, account: String, product: String = "minutes-30", quantity: Any? = nil) -> [String: Any] {
        var data: [String: Any] = ["account_id": account, "product": product]
        if let quantity { data["quantity"] = quantity }
        return ["id": id, "type": "minutes.purchased", "created": 1_800_000_000, "data": data]
    }

    static func refund(_ id: String, account: String, purchase: String) -> [String: Any] {
        ["id": id, "type": "minutes.refunded", "created": 1_800_000_000,
         "data": ["account_id": account, "purchase_event_id": purchase]]
    }
}

extension TestEngine {
    /// Signs up, signs in, and returns the token with the account's id.
    func signUpWithID(_ email: String = "candidate-\(UUID().uuidString.prefix(8))@example.com") throws -> (token: String, id: String) {
        let token = try signUp(email)
        let id = try #require(try http.send("GET", "v1/me", token: token).json["id"] as? String)
        return (token, id)
    }

    func balance(_ token: String) throws -> Int? {
        try http.send("GET", "v1/me", token: token).json["balance_ms"] as? Int
    }
}

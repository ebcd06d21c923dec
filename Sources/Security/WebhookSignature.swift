import Foundation

/// Signatures on the payment processor's webhooks, in the scheme Stripe made common:
///
///     Jestry-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">[,v1=<another>…]
///
/// The MAC covers the timestamp and the exact bytes received (never a re-encoded body), so a captured request cannot
/// be replayed later than the tolerance allows or altered at all. Several `v1` values, and several secrets on our
/// side, let either party rotate a secret without a gap. Every candidate is compared in constant time.
public enum WebhookSignature {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// No header, or not of the form `t=…,v1=…`.
        case malformed
        /// The timestamp is further from now than the tolerance (either way).
        case stale(ageSeconds: Int64)
        /// No `v1` value matches any of our secrets.
        case mismatch

        public var description: String {
            switch self {
            case .malformed: "The signature header must look like t=<unix seconds>,v1=<hex HMAC-SHA256>."
            case .stale(let age): "The signature timestamp is \(age) seconds away from now; the tolerance is 5 minutes."
            case .mismatch: "No signature matches; check the webhook secret."
            }
        }
    }

    /// Five minutes, as Stripe's libraries use.
    public static let defaultTolerance: TimeInterval = 300

    /// The header value for `body` signed at `timestamp` (unix seconds) with each secret: for tests and tools.
    public static func header(body: Data, timestamp: Int64, secrets: [String]) -> String {
        (["t=\(timestamp)"] + secrets.map { "v1=\(mac(body: body, timestamp: timestamp, secret: $0).hexString)" })
            .joined(separator: ",")
    }

    /// The MAC of `"<timestamp>.<body>"` under `secret`.
    public static func mac(body: Data, timestamp: Int64, secret: String) -> Data {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        return Digest.hmacSHA256(key: Data(secret.utf8), message: message)
    }

    /// Checks `header` against the raw `body`; succeeds with the signed timestamp.
    ///
    /// Every `v1` value is compared with every secret, each in constant time, and the loop never stops early, so the
    /// time taken does not tell which secret or which value came close.
    public static func verify(header: String?, body: Data, secrets: [String], now: Date,
                              tolerance: TimeInterval = defaultTolerance) -> Result<Int64, Failure> {
        guard let header, let parsed = parse(header) else { return .failure(.malformed) }
        let age = Int64(now.timeIntervalSince1970.rounded(.down)) - parsed.timestamp
        guard age.magnitude <= UInt64(tolerance) else { return .failure(.stale(ageSeconds: age)) }
        var matched = false
        for secret in secrets where !secret.isEmpty {
            let expected = mac(body: body, timestamp: parsed.timestamp, secret: secret)
            for candidate in parsed.signatures {
                if Digest.constantTimeEqual(expected, candidate) { matched = true }
            }
        }
        return matched ? .success(parsed.timestamp) : .failure(.mismatch)
    }

    /// `t` and every well-formed `v1` (other schemes are ignored, as Stripe does). Nil when `t` is missing, repeated
    /// or not a number, or when there is no `v1`.
    static func parse(_ header: String) -> (timestamp: Int64, signatures: [Data])? {
        guard header.utf8.count <= 4096 else { return nil }
        var timestamp: Int64?
        var signatures: [Data] = []
        for item in header.split(separator: ",") {
            let pair = item.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "t":
                guard timestamp == nil, pair[1].allSatisfy(\.isASCII), pair[1].allSatisfy(\.isNumber),
                      let value = Int64(pair[1]) else { return nil }
                timestamp = value
            case "v1":
                if let data = Data(hex: String(pair[1])), data.count == 32 { signatures.append(data) }
            default:
                continue
            }
        }
        guard let timestamp, !signatures.isEmpty else { return nil }
        return (timestamp, signatures)
    }
}

extension Data {
    /// Parses hexadecimal (either case); nil for an odd length or any other character.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

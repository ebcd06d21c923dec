import Foundation
import Testing
import Security

/// Webhook signatures against vectors computed independently with
/// `printf '1800000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test_secret`.
@Suite struct WebhookSignatureTests {
    static let body = Data(#"{"id":"evt_1"}"#.utf8)
    static let timestamp: Int64 = 1_800_000_000
    static let secret = "whsec_test_secret"
    static let rotated = "whsec_new_secret"
    static let macUnderSecret = "8a6563dbee1eccda632491deb091d19e764aadddcd0ace8d9516599526831c89"
    static let macUnderRotated = "1a8dbf7b149a0249726d86b07c6e3862b22d85a9a2473d7b54cd6272848e742f"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    func verify(_ header: String?, body: Data = body, secrets: [String] = [secret], now: Date = now)
        -> Result<Int64, WebhookSignature.Failure> {
        WebhookSignature.verify(header: header, body: body, secrets: secrets, now: now)
    }

    @Test func macMatchesOpenSSLVectors() {
        #expect(WebhookSignature.mac(body: Self.body, timestamp: Self.timestamp, secret: Self.secret).hexString == Self.macUnderSecret)
        #expect(WebhookSignature.mac(body: Self.body, timestamp: Self.timestamp, secret: Self.rotated).hexString == Self.macUnderRotated)
        #expect(WebhookSignature.mac(body: Data(), timestamp: 1_700_000_000, secret: "k").hexString
                == "5c2999a43333a6877f49c8003f235c4f6de40f85b1b7414b70bd470a8db53d97")
    }

    @Test func headerIsBuiltInTheDocumentedForm() {
        #expect(WebhookSignature.header(body: Self.body, timestamp: Self.timestamp, secrets: [Self.secret])
                == "t=1800000000,v1=\(Self.macUnderSecret)")
    }

    @Test func aKnownGoodSignatureVerifies() {
        #expect(verify("t=1800000000,v1=\(Self.macUnderSecret)") == .success(Self.timestamp))
        // Upper-case hex and spaces after commas are tolerated.
        #expect(verify("t=1800000000, v1=\(Self.macUnderSecret.uppercased())") == .success(Self.timestamp))
    }

    @Test func duringARotationAnyListedSecretAndAnyV1Value() {
        // The processor signs with both secrets while it rotates; we accept either, whichever secret we still hold.
        let both = "t=1800000000,v1=\(Self.macUnderRotated),v1=\(Self.macUnderSecret)"
        #expect(verify(both, secrets: [Self.secret]) == .success(Self.timestamp))
        #expect(verify(both, secrets: [Self.rotated]) == .success(Self.timestamp))
        // We hold both secrets while the processor has switched to the new one.
        #expect(verify("t=1800000000,v1=\(Self.macUnderRotated)", secrets: [Self.secret, Self.rotated]) == .success(Self.timestamp))
        // Other schemes (v0) are ignored, not trusted.
        #expect(verify("t=1800000000,v0=\(Self.macUnderSecret)") == .failure(.malformed))
    }

    @Test func anyChangeToTheBodyOrTimestampFails() {
        #expect(verify("t=1800000000,v1=\(Self.macUnderSecret)", body: Data(#"{"id":"evt_1"} "#.utf8)) == .failure(.mismatch))
        #expect(verify("t=1800000000,v1=\(Self.macUnderSecret)", body: Data(#"{"id":"evt_2"}"#.utf8)) == .failure(.mismatch))
        #expect(verify("t=1800000001,v1=\(Self.macUnderSecret)") == .failure(.mismatch))
        #expect(verify("t=1800000000,v1=\(Self.macUnderSecret)", secrets: ["whsec_other"]) == .failure(.mismatch))
        var flipped = Array(Self.macUnderSecret)
        flipped[63] = flipped[63] == "9" ? "8" : "9"
        #expect(verify("t=1800000000,v1=\(String(flipped))") == .failure(.mismatch))
    }

    @Test func timestampToleranceIsFiveMinutesEitherWay() {
        let header = "t=1800000000,v1=\(Self.macUnderSecret)"
        #expect(verify(header, now: Self.now.addingTimeInterval(300)) == .success(Self.timestamp))
        #expect(verify(header, now: Self.now.addingTimeInterval(-300)) == .success(Self.timestamp))
        #expect(verify(header, now: Self.now.addingTimeInterval(301)) == .failure(.stale(ageSeconds: 301)))
        #expect(verify(header, now: Self.now.addingTimeInterval(-301)) == .failure(.stale(ageSeconds: -301)))
    }

    @Test(arguments: [
        nil, "", "garbage", "t=1800000000", "v1=8a6563dbee1eccda632491deb091d19e764aadddcd0ace8d9516599526831c89",
        "t=abc,v1=8a6563dbee1eccda632491deb091d19e764aadddcd0ace8d9516599526831c89",
        "t=-5,v1=8a6563dbee1eccda632491deb091d19e764aadddcd0ace8d9516599526831c89",
        "t=1800000000,t=1800000000,v1=8a6563dbee1eccda632491deb091d19e764aadddcd0ace8d9516599526831c89",
        "t=1800000000,v1=8a6563", "t=1800000000,v1=zz6563dbee1eccda632491deb091d19e764aadddcd0ace8d9516599526831c89",
        "t=1800000000,v1='; DROP TABLE payment_events; --",
    ] as [String?])
    func malformedHeadersAreRefused(header: String?) {
        #expect(verify(header) == .failure(.malformed))
    }

    @Test func emptySecretsNeverMatch() {
        let unsigned = "t=1800000000,v1=\(WebhookSignature.mac(body: Self.body, timestamp: Self.timestamp, secret: "").hexString)"
        #expect(verify(unsigned, secrets: [""]) == .failure(.mismatch))
        #expect(verify(unsigned, secrets: []) == .failure(.mismatch))
    }

    @Test func hexParsing() {
        #expect(Data(hex: "00ff10Ab") == Data([0x00, 0xff, 0x10, 0xab]))
        #expect(Data(hex: "") == Data())
        #expect(Data(hex: "abc") == nil)
        #expect(Data(hex: "gg") == nil)
    }
}

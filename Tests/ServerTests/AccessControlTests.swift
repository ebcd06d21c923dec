import Foundation
import TestSupport
import Testing
@testable import Server

/// The rate limiter and the origin policy on their own, with a clock stepped by hand.
@Suite struct RateLimiterTests {
    @Test func aBurstThenOneRequestPerRefillInterval() {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let limiter = RateLimiter(RateLimit(burst: 3, period: 30), clock: { clock.now })
        #expect((0..<3).map { _ in limiter.take("a") } == [0, 0, 0])
        #expect(limiter.take("a") == 10, "one token every 10 s")
        #expect(limiter.take("b") == 0, "keys are independent")
        clock.advance(4)
        #expect((limiter.retryAfter("a") - 6).magnitude < 1e-9)
        clock.advance(6)
        #expect(limiter.take("a") == 0)
        #expect(limiter.take("a") == 10)
        clock.advance(1_000)
        #expect((0..<3).map { _ in limiter.take("a") } == [0, 0, 0], "never more than the burst")
        #expect(limiter.take("a") > 0)
    }

    @Test func refusedRequestsDoNotCostTokens() {
        let clock = ManualClock()
        let limiter = RateLimiter(RateLimit(burst: 1, period: 10), clock: { clock.now })
        limiter.take("a")
        for _ in 0..<50 { #expect(limiter.take("a") > 0) }
        clock.advance(10)
        #expect(limiter.take("a") == 0)
    }

    @Test func resetForgetsAKeyAndFullBucketsAreForgotten() {
        let clock = ManualClock()
        let limiter = RateLimiter(RateLimit(burst: 2, period: 10), clock: { clock.now })
        limiter.take("a")
        limiter.take("a")
        limiter.reset("a")
        #expect(limiter.take("a") == 0)
        clock.advance(10)
        #expect(limiter.retryAfter("a") == 0)
        #expect(limiter.trackedKeys == 0, "a refilled bucket is dropped")
    }

    @Test func memoryIsBounded() {
        let clock = ManualClock()
        let limiter = RateLimiter(RateLimit(burst: 5, period: 60), maxKeys: 100, clock: { clock.now })
        for index in 0..<1_000 { limiter.take("address-\(index)") }
        #expect(limiter.trackedKeys <= 100)
    }

    @Test func unlimitedNeverRefuses() {
        let limiter = RateLimiter(.unlimited, clock: { Date() })
        for _ in 0..<1_000 { #expect(limiter.take("a") == 0) }
    }
}

@Suite struct OriginPolicyTests {
    @Test func normalisation() {
        #expect(OriginPolicy.normalise("HTTPS://App.Example.com:443") == "https://app.example.com")
        #expect(OriginPolicy.normalise("http://example.com:80") == "http://example.com")
        #expect(OriginPolicy.normalise("http://example.com:8080/") == "http://example.com:8080")
        #expect(OriginPolicy.normalise("http://[::1]:8080") == "http://[::1]:8080")
        for bad in ["null", "", "example.com", "ftp://example.com", "http://user@example.com", "http://example.com/x",
                    "http://example.com?q", "javascript:alert(1)"] {
            #expect(OriginPolicy.normalise(bad) == nil, "\(bad)")
        }
    }

    @Test func ownOriginsConfiguredOnesAndNoOriginAreAllowed() {
        let policy = OriginPolicy(allowedOrigins: ["https://app.example.com"], tls: false)
        #expect(policy.allows(origin: nil, host: nil, port: 8080))
        #expect(policy.allows(origin: "http://localhost:8080", host: nil, port: 8080))
        #expect(policy.allows(origin: "https://127.0.0.1:8080", host: nil, port: 8080))
        #expect(policy.allows(origin: "http://jestry.example:8080", host: "jestry.example:8080", port: 8080))
        #expect(policy.allows(origin: "https://app.example.com", host: "x", port: 8080))
        #expect(!policy.allows(origin: "http://localhost:8081", host: nil, port: 8080))
        #expect(!policy.allows(origin: "https://jestry.example:8080", host: "jestry.example:8080", port: 8080),
                "the Host header's origin has the server's own scheme")
        #expect(!policy.allows(origin: "null", host: nil, port: 8080))
        // A malformed origin (as a misconfigured libwebsockets client sends, scheme doubled) is refused.
        #expect(!policy.allows(origin: "http://http://127.0.0.1:8080", host: nil, port: 8080))
        let tls = OriginPolicy(allowedOrigins: [], tls: true)
        #expect(tls.allows(origin: "https://jestry.example", host: "jestry.example", port: 443))
        #expect(!tls.allows(origin: "http://jestry.example", host: "jestry.example", port: 443))
    }
}

@Suite struct RecordingFilesTests {
    @Test func thePathConventionAndUnsafeIDs() throws {
        let data = URL(fileURLWithPath: "/tmp/jestry-data")
        #expect(RecordingFiles.file(forSession: "5f0c2a9e", dataDirectory: data)?.path == "/tmp/jestry-data/recordings/5f0c2a9e.wav")
        for id in ["", "..", "../x", "a/b", "a.b", "a b", String(repeating: "a", count: 129)] {
            #expect(RecordingFiles.file(forSession: id, dataDirectory: data) == nil, "\(id)")
        }
        #expect(RecordingFiles.urlPath(forSession: "abc") == "/v1/sessions/abc/recording")
        try RecordingFiles.remove(forSession: "no-such-session", dataDirectory: data)  // nothing to remove is fine
    }
}

import Foundation

/// A token-bucket limit: up to `burst` requests at once, refilled evenly over `period` seconds.
public struct RateLimit: Sendable, Equatable {
    public var burst: Int
    public var period: TimeInterval

    public init(burst: Int, period: TimeInterval) {
        self.burst = burst
        self.period = period
    }

    /// No limit at all.
    public static let unlimited = RateLimit(burst: .max, period: 1)
}

/// Token buckets per key (an address, an email), in memory, thread-safe.
///
/// Time comes from an injected clock, so tests step it instead of sleeping. A key's bucket is forgotten once it has
/// refilled completely, which bounds the memory to the keys active within one `period`; past `maxKeys` keys the
/// fullest buckets go first.
final class RateLimiter: @unchecked Sendable {
    let limit: RateLimit
    private let clock: @Sendable () -> Date
    private let maxKeys: Int
    private let lock = NSLock()
    /// Tokens left and when they were counted.
    private var buckets: [String: (tokens: Double, at: Date)] = [:]

    init(_ limit: RateLimit, maxKeys: Int = 100_000, clock: @escaping @Sendable () -> Date) {
        self.limit = limit
        self.maxKeys = maxKeys
        self.clock = clock
    }

    private var refillPerSecond: Double { Double(limit.burst) / max(limit.period, 0.001) }

    /// Seconds until one request is allowed for `key`; 0 when it is allowed now. Does not take a token.
    func retryAfter(_ key: String) -> TimeInterval {
        guard limit != .unlimited else { return 0 }
        return lock.withLock {
            let tokens = current(key, now: clock())
            return tokens >= 1 ? 0 : (1 - tokens) / refillPerSecond
        }
    }

    /// Takes a token for `key` if there is one: returns 0. Otherwise takes nothing and returns the seconds until
    /// there will be one.
    @discardableResult
    func take(_ key: String) -> TimeInterval {
        guard limit != .unlimited else { return 0 }
        return lock.withLock {
            let now = clock()
            let tokens = current(key, now: now)
            guard tokens >= 1 else { return (1 - tokens) / refillPerSecond }
            buckets[key] = (tokens - 1, now)
            if buckets.count > maxKeys { evict(now: now) }
            return 0
        }
    }

    /// Forgets `key` (e.g. after a successful sign-in, the account's failures no longer count).
    func reset(_ key: String) {
        lock.withLock { _ = buckets.removeValue(forKey: key) }
    }

    var trackedKeys: Int { lock.withLock { buckets.count } }

    /// Tokens in `key`'s bucket at `now`. Lock held.
    private func current(_ key: String, now: Date) -> Double {
        guard let bucket = buckets[key] else { return Double(limit.burst) }
        let elapsed = max(0, now.timeIntervalSince(bucket.at))
        let tokens = min(Double(limit.burst), bucket.tokens + elapsed * refillPerSecond)
        if tokens >= Double(limit.burst) { buckets[key] = nil }
        return tokens
    }

    /// Drops full buckets, then the fullest others, until under `maxKeys`. Lock held.
    private func evict(now: Date) {
        for key in Array(buckets.keys) { _ = current(key, now: now) }
        guard buckets.count > maxKeys else { return }
        let keys = Array(buckets.keys)
        let fullest = keys.map { ($0, current($0, now: now)) }.sorted { $0.1 > $1.1 }
        for (key, _) in fullest.prefix(buckets.count - maxKeys) { buckets[key] = nil }
    }
}

/// Whether an interview client is still there: every frame it sends is a sign of life; after `pingAfterMs` of
/// silence it is pinged once, and after `hangUpAfterMs` the server hangs up (PROTOCOL.md §1.6).
///
/// The service thread checks every connection once a second from its one timer. lws's own liveness check kept a
/// timer per connection in a sorted list, and moving one to the list's end walked the whole list: O(connections)
/// per sign of life noted. Here a frame costs one store.
struct Liveness {
    static let pingAfterMs: Int64 = 20_000
    static let hangUpAfterMs: Int64 = 50_000

    enum Check: Equatable {
        case alive
        /// Silent for `pingAfterMs` and not pinged since it was last heard: send a ping.
        case ping
        /// Silent for `hangUpAfterMs`: close the socket without a close frame, as for a lost network.
        case hangUp
    }

    /// When the client was last heard (monotonic ms).
    private(set) var lastHeardMs: Int64
    private var lastPingMs: Int64 = .min

    init(openedAtMs: Int64) { lastHeardMs = openedAtMs }

    /// A data frame or a pong arrived.
    @inline(__always) mutating func heard(at nowMs: Int64) { lastHeardMs = nowMs }

    mutating func check(at nowMs: Int64) -> Check {
        let silentMs = nowMs - lastHeardMs
        if silentMs >= Self.hangUpAfterMs { return .hangUp }
        guard silentMs >= Self.pingAfterMs, lastPingMs <= lastHeardMs else { return .alive }
        lastPingMs = nowMs
        return .ping
    }
}

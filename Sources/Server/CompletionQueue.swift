import CWebSockets
import Foundation

/// Work finished on other threads, handed back to the service thread.
///
/// `post` is the only call other threads make: it queues the closure and wakes the service loop with
/// `lws_cancel_service`, the one libwebsockets call that is safe off the service thread. The loop drains the queue
/// in `LWS_CALLBACK_EVENT_WAIT_CANCELLED`.
final class CompletionQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [@Sendable () -> Void] = []
    /// Set once, before any other thread can post.
    var context: OpaquePointer?

    func post(_ work: @escaping @Sendable () -> Void) {
        lock.withLock { pending.append(work) }
        if let context { lws_cancel_service(context) }
    }

    /// Runs everything queued so far. Service thread only.
    func drain() {
        let work = lock.withLock {
            let work = pending
            pending.removeAll()
            return work
        }
        work.forEach { $0() }
    }
}

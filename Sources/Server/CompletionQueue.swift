import CWebSockets
import Foundation

/// Work finished on other threads, handed back to the service thread.
///
/// `post` is the only call other threads make: it queues the closure and wakes the service loop with
/// `lws_cancel_service`, the one libwebsockets call that is safe off the service thread. The loop drains the queue
/// in `LWS_CALLBACK_EVENT_WAIT_CANCELLED`.
///
/// Invariant: `wake` only ever sees a context between `attach` and `detach`. Both, and the wake itself, happen under
/// the lock, so a model or transcription call finishing while the loop shuts down cannot wake a destroyed context.
final class CompletionQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [@Sendable () -> Void] = []
    private var context: OpaquePointer?
    private let wake: (OpaquePointer) -> Void

    /// `wake` is `lws_cancel_service` except in tests of the shutdown order.
    init(wake: @escaping (OpaquePointer) -> Void = { lws_cancel_service($0) }) {
        self.wake = wake
    }

    /// From now on every `post` wakes `context`.
    func attach(_ context: OpaquePointer) {
        lock.withLock { self.context = context }
    }

    /// No `post` wakes the context after this returns, so it may be destroyed. Work still arrives in the queue and
    /// runs at the next `drain`.
    func detach() {
        lock.withLock { context = nil }
    }

    func post(_ work: @escaping @Sendable () -> Void) {
        lock.withLock {
            pending.append(work)
            if let context { wake(context) }
        }
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

import Foundation
@testable import Server
import Testing

/// The shutdown order of a service loop: once `detach` returns the context is destroyed, so no wake may be running
/// or start after it. A model call finishing on the outbound thread during shutdown once crashed the tests this way.
@Suite struct CompletionQueueTests {
    private let context = OpaquePointer(bitPattern: 0x1000)!

    @Test func aPostAfterDetachQueuesItsWorkWithoutWakingTheLoop() {
        let wakes = Counter()
        let queue = CompletionQueue(wake: { _ in wakes.add() })
        queue.attach(context)
        queue.post {}
        #expect(wakes.value == 1)
        queue.detach()
        let ran = Counter()
        queue.post { ran.add() }
        #expect(wakes.value == 1, "a detached queue never touches the context")
        queue.drain()
        #expect(ran.value == 1, "the work is not lost")
    }

    @Test func detachWaitsForAWakeAlreadyUnderWay() {
        let inWake = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let detachReturned = Counter()
        let seenDuringWake = Counter()
        let queue = CompletionQueue(wake: { _ in
            inWake.signal()
            release.wait()
            seenDuringWake.add(detachReturned.value)
        })
        queue.attach(context)
        let posted = DispatchSemaphore(value: 0)
        Thread.detachNewThread { queue.post {}; posted.signal() }
        inWake.wait()
        let detached = DispatchSemaphore(value: 0)
        Thread.detachNewThread { queue.detach(); detachReturned.add(); detached.signal() }
        // Give a detach that does not wait the time to return; one that waits passes however long this is.
        usleep(50_000)
        release.signal()
        posted.wait()
        detached.wait()
        #expect(seenDuringWake.value == 0, "detach returned while a wake was still using the context")
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add(_ amount: Int = 1) { lock.withLock { count += amount } }
}

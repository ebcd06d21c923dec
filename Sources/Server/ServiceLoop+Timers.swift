import CWebSockets
import Foundation
import Interview

/// One timer per service thread (an lws `sul`) for everything: each connection's next deadline, which its machine
/// names (`nextDeadline`), and the once-a-second housekeeping (settlement, token re-checks, parked sessions whose
/// grace ended, request bodies that are too slow, the liveness of every connection). No timer per connection: lws
/// keeps timers in a sorted list, and inserting one per connection cost O(connections) each time.
extension ServiceLoop {
    /// Files the connection's next deadline after an input; an unchanged deadline costs nothing.
    func scheduleDeadline(of connection: InterviewConnection) {
        guard interviews[connection.wsi] === connection else { return }  // parked or gone: no timer
        let deadline = connection.machine.nextDeadlineMs
        guard deadline != connection.deadlineMs else { return }
        connection.deadlineMs = deadline
        guard let deadline else { return }
        deadlines.push(deadline, serial: connection.serial)
        scheduleTimer(at: deadline)
    }

    /// Moves the thread's timer earlier when `dueMs` comes before it.
    func scheduleTimer(at dueMs: Int64) {
        guard let context else { return }
        if let current = timerDueMs, current <= dueMs { return }
        timerDueMs = dueMs
        let delayUs = max(0, dueMs - now.monotonicMs) * 1_000
        lws_sul_schedule(context, 0, &timer.pointee.sul, jestryLoopTimerFired, lws_usec_t(delayUs))
    }

    fileprivate func timerFired() {
        timerDueMs = nil
        let current = now
        for entry in deadlines.popDue(at: current.monotonicMs) {
            guard let connection = interviewsBySerial[entry.serial], connection.deadlineMs == entry.deadlineMs else { continue }
            connection.deadlineMs = nil  // taken: `run` files the next one
            run(connection.machine.timerFired(at: current), on: connection)
        }
        if current.monotonicMs - lastHousekeepingMs >= 1_000 {
            lastHousekeepingMs = current.monotonicMs
            settleIfDue(at: current)
            recheckTokensIfDue(at: current)
            expireParkedSessions()
            expireSlowRequests()
            checkLiveness(at: current.monotonicMs)
            sampleOutputQueues()
            drainIfDue()
        }
        scheduleTimer(at: min(deadlines.earliest ?? .max, lastHousekeepingMs + 1_000))
    }
}

private func jestryLoopTimerFired(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    guard let sul, let owner = jestry_timer_owner(sul) else { return }
    Unmanaged<ServiceLoop>.fromOpaque(owner).takeUnretainedValue().timerFired()
}

import Foundation
import Interview

/// Draining on a service thread: every connection's machine is told the deadline (those without a session are sent
/// away, live interviews carry on until they end or the deadline ends them), and the thread reports when it serves
/// no live interview any more.
extension ServiceLoop {
    /// From any thread.
    func beginDrain(until deadlineMs: Int64) {
        completions.post { [weak self] in self?.drainBegan(until: deadlineMs) }
    }

    private func drainBegan(until deadlineMs: Int64) {
        for connection in Array(interviews.values) {
            run(connection.machine.serverDraining(until: deadlineMs, at: now), on: connection)
        }
        drainIfDue()
    }

    /// While draining (and once a second): tells the engine whether this thread still serves a live interview.
    func drainIfDue() {
        guard services.drain.isDraining else { return }
        services.drain.thread(index, isIdle: !interviews.values.contains { $0.machine.isLive })
    }
}

import Foundation
import Interview

/// What the service thread counts as it sends events and keeps house (`EngineMetrics`): each a relaxed atomic add
/// on a handle made once, so counting costs the thread nothing it would notice.
extension ServiceLoop {
    /// Counts an event on its way to the client: errors by code, and the turn latency (a turn's end to the next
    /// question queued).
    func count(_ message: ServerMessage, on connection: InterviewConnection) {
        switch message {
        case .error(let error):
            services.metrics.errors[error.code]?.increment()
        case .turnEnded:
            connection.turnEndedNs = EngineMetrics.nowNs
        case .question:
            if let ended = connection.turnEndedNs {
                EngineMetrics.record(services.metrics.turnLatency, since: ended)
                connection.turnEndedNs = nil
            }
        case .sessionEnded:
            connection.turnEndedNs = nil
        default:
            break
        }
    }

    /// Once a second: the bytes of events waiting for this thread's clients, in all and on the fullest connection.
    func sampleOutputQueues() {
        guard index < services.metrics.outputQueueBytes.count else { return }
        var total = 0
        var largest = 0
        for connection in interviews.values {
            total += connection.queuedBytes
            largest = max(largest, connection.queuedBytes)
        }
        services.metrics.outputQueueBytes[index].set(total)
        services.metrics.outputQueueLargestBytes[index].set(largest)
    }
}

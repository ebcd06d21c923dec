import Dispatch
import Foundation
import Logging
import Interview
import Store

/// Every write of the live interviews (session records and settlements), run on the one store writer queue in
/// the order they were handed over, whichever thread handed them over; records in a row share a transaction.
///
/// Batching is why this exists: each record in a transaction of its own cost a commit and a sync of the log, a few
/// times per live session per turn. Records handed over while the writer is busy now wait for it together and are
/// applied in one transaction (at most `recordsPerTransaction`), while a settlement between them still runs between
/// them. A failing record (its account deleted meanwhile) is logged and rolled back alone; the others stay.
final class StoreWriter: Sendable {
    /// At most this many records share a transaction; a longer run of them is written in several, still in order.
    static let recordsPerTransaction = 500

    private enum Write {
        /// `logger` carries the session's metadata for the error log.
        case record(AccountRecord, logger: Logger)
        case work(@Sendable () -> Void)
    }

    private let store: any EngineStore
    private let queue: DispatchQueue
    private let metrics: EngineMetrics
    /// Handed over and not yet taken by the writer.
    private let pending = Locked<[Write]>([])

    init(store: any EngineStore, queue: DispatchQueue, metrics: EngineMetrics) {
        self.store = store
        self.queue = queue
        self.metrics = metrics
    }

    /// Queues `record` for the store.
    func write(_ record: SessionRecord, accountID: String, logger: Logger) {
        append(.record(AccountRecord(record, accountID: accountID), logger: logger))
    }

    /// Queues `work`, which writes to the store itself (a settlement), after everything queued before it.
    func run(_ work: @escaping @Sendable () -> Void) {
        append(.work(work))
    }

    private func append(_ write: Write) {
        // Counted before the writer can take it, so the gauge never goes below zero.
        metrics.storeWriterQueue.increment()
        let first = pending.withLock { pending in
            pending.append(write)
            return pending.count == 1
        }
        // Only the first write of a batch schedules the writer; the others join it.
        if first { queue.async { [self] in writePending() } }
    }

    /// Runs everything handed over so far, in order. Store writer queue only.
    private func writePending() {
        let writes = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        var records: [(AccountRecord, Logger)] = []
        for write in writes {
            switch write {
            case .record(let record, let logger):
                records.append((record, logger))
                if records.count == Self.recordsPerTransaction { apply(&records) }
            case .work(let work):
                apply(&records)
                work()
            }
        }
        apply(&records)
        metrics.storeWriterQueue.decrement(by: Double(writes.count))
    }

    /// Applies `records` in one transaction and empties it.
    private func apply(_ records: inout [(AccountRecord, Logger)]) {
        guard !records.isEmpty else { return }
        defer { records.removeAll(keepingCapacity: true) }
        do {
            let failures = try store.apply(records.map(\.0))
            metrics.recordTransactions.increment()
            metrics.recordsWritten.increment(by: records.count - failures.count)
            for failure in failures {
                records[failure.index].1.error("could not store a session record", metadata: ["error": "\(failure.error)"])
            }
        } catch {
            for (_, logger) in records { logger.error("could not store a session record", metadata: ["error": "\(error)"]) }
        }
    }
}

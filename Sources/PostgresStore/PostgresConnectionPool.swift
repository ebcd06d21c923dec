import Foundation
import Store

/// A few connections shared by every thread that calls the store. A caller waits at most `checkoutTimeout` for a
/// free one; after a failed connection attempt, callers fail at once for `reconnectBackoff`, so a lost database
/// costs a service thread one failed call, not a connect timeout each time.
final class PostgresConnectionPool: @unchecked Sendable {
    let url: String
    let size: Int
    let checkoutTimeout: TimeInterval
    let reconnectBackoff: TimeInterval

    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var lastFailure: (at: Date, error: PostgresError)?
    private var closed = false

    init(url: String, size: Int = 8, checkoutTimeout: TimeInterval = 5, reconnectBackoff: TimeInterval = 1) {
        self.url = url
        self.size = size
        self.checkoutTimeout = checkoutTimeout
        self.reconnectBackoff = reconnectBackoff
    }

    /// Runs `work` on a connection of its own; a connection left broken is closed instead of returned.
    func withConnection<T>(_ work: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try work(connection)
    }

    /// Runs `work` in a transaction, committed when it returns and rolled back when it throws. A transaction that
    /// lost a race to another node (serialization failure, deadlock, a unique key taken first) is run again from
    /// the start, a few times; so is one whose `BEGIN` found the connection dead (nothing was sent yet).
    @discardableResult
    func transaction<T>(_ isolation: String = "READ COMMITTED", _ work: (PostgresConnection) throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try withConnection { connection in
                    do {
                        try connection.execute("BEGIN ISOLATION LEVEL \(isolation)")
                    } catch let error as PostgresError where connection.isBroken {
                        throw StaleConnection(error: error)
                    }
                    do {
                        let result = try work(connection)
                        try connection.execute("COMMIT")
                        return result
                    } catch {
                        if !connection.isBroken { try? connection.execute("ROLLBACK") }
                        throw error
                    }
                }
            } catch let stale as StaleConnection {
                if attempt >= 2 { throw stale.error }
            } catch let error as PostgresError where error.isRetryableRace && attempt < 5 {
                continue
            }
        }
    }

    /// A read outside a transaction; reads are safe to repeat, so one on a connection found dead is tried once more.
    func read<T>(_ work: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try withConnection(work)
        } catch let error as PostgresError {
            guard case .connection = error else { throw error }
            return try withConnection(work)
        }
    }

    private struct StaleConnection: Error { var error: PostgresError }

    /// Ends the idle connections now and each busy one when it is checked in; later calls throw.
    func close() {
        condition.lock()
        closed = true
        open -= idle.count
        idle.removeAll()  // each ends (PQfinish) as its last reference goes
        condition.broadcast()
        condition.unlock()
    }

    private func checkOut() throws -> PostgresConnection {
        condition.lock()
        let deadline = Date().addingTimeInterval(checkoutTimeout)
        while idle.isEmpty && open >= size && !closed {
            guard condition.wait(until: deadline) else {
                condition.unlock()
                throw PostgresError.connection("all \(size) connections busy for \(Int(checkoutTimeout)) s")
            }
        }
        guard !closed else {
            condition.unlock()
            throw StoreError.closed
        }
        if let connection = idle.popLast() {
            condition.unlock()
            return connection
        }
        if let failure = lastFailure, Date().timeIntervalSince(failure.at) < reconnectBackoff {
            condition.unlock()
            throw failure.error
        }
        open += 1
        condition.unlock()
        do {
            return try PostgresConnection(url: url)
        } catch {
            condition.lock()
            open -= 1
            lastFailure = (Date(), error as? PostgresError ?? .connection("\(error)"))
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        condition.lock()
        if connection.isBroken || closed {
            open -= 1
        } else {
            idle.append(connection)
            lastFailure = nil
        }
        condition.signal()
        condition.unlock()
    }
}

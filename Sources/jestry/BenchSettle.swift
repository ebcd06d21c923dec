import ArgumentParser
import Foundation
import PostgresStore
import Store

extension Bench {
    /// Settlement as the engine does it: every second, each node charges each of its live sessions in one batch.
    /// The sessions are split over `--nodes` stores of their own (connection pools, node ids), as separate engine
    /// processes would hold them; the batch latency and the charges settled a second are what is reported.
    struct Settle: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "settle", abstract: "Settlement latency and throughput with many live sessions on one or more nodes.")

        @Option(help: "Live sessions in all, spread evenly over the nodes.")
        var sessions = 1_000
        @Option(help: "Engine nodes sharing the database (PostgreSQL only; SQLite serves one).")
        var nodes = 1
        @Option(help: "Seconds to run, one batch per node per second.")
        var seconds = 30
        @Option(help: "A PostgreSQL URL; without it, SQLite in a fresh temporary folder.")
        var database: String?

        func validate() throws {
            guard (1...100_000).contains(sessions) else { throw ValidationError("--sessions must be from 1 to 100000") }
            guard (1...16).contains(nodes), database != nil || nodes == 1 else {
                throw ValidationError("--nodes must be from 1 to 16, and 1 without --database")
            }
            guard (1...3_600).contains(seconds) else { throw ValidationError("--seconds must be from 1 to 3600") }
        }

        func run() throws {
            var folder: URL?
            let stores: [any EngineStore] = try (0..<nodes).map { node in
                if let database { return try PostgresStore(url: database, nodeID: "bench-\(node)") }
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-settle-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                folder = directory
                return try SQLiteStore(path: directory.appendingPathComponent("jestry.sqlite").path)
            }
            defer { folder.map { try? FileManager.default.removeItem(at: $0) } }
            // One account per session, as in a load run, with far more minutes than the run uses (nothing is capped).
            var live: [[(session: String, account: String)]] = Array(repeating: [], count: nodes)
            let run = UUID().uuidString.prefix(8)
            for index in 0..<sessions {
                let store = stores[index % nodes]
                let account = try store.createAccount(NewAccount(name: "Bench", email: "settle-\(run)-\(index)@example.com",
                                                                 passwordHash: "unused", birthDate: "1990-01-01"),
                                                      trialMs: Int64(seconds + 60) * 1_000, at: Date())
                let session = "settle-\(run)-\(index)"
                try store.apply(.sessionStarted(sessionID: session, trackID: "behavioural", mode: .voice, sampleRate: 16_000,
                                                at: Date()), accountID: account.id)
                live[index % nodes].append((session, account.id))
            }
            let batches = live
            let latencies = Latencies()
            let started = Date()
            DispatchQueue.concurrentPerform(iterations: nodes) { node in
                let store = stores[node]
                for second in 0..<seconds {
                    // Paced like the engine: a batch at each whole second from the start, skipped if one runs over.
                    let due = started.addingTimeInterval(Double(second))
                    let wait = due.timeIntervalSinceNow
                    if wait > 0 { Thread.sleep(forTimeInterval: wait) } else if wait < -1 { continue }
                    let charges = batches[node].map { UsageCharge(sessionID: $0.session, accountID: $0.account, ms: 1_000) }
                    let begin = DispatchTime.now().uptimeNanoseconds
                    do {
                        _ = try store.settle(charges, at: Date())
                        latencies.add(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6, charges: charges.count)
                    } catch {
                        latencies.failed()
                    }
                }
            }
            let elapsed = Date().timeIntervalSince(started)
            let sorted = latencies.values.sorted()
            func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            let store = database == nil ? "SQLite" : "PostgreSQL"
            Console.line("\(store), \(sessions) live sessions on \(nodes) node(s), \(seconds) s: \(sorted.count) batches, " +
                         "\(latencies.failures) failed")
            Console.line(String(format: "batch latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f",
                                percentile(0.5), percentile(0.9), percentile(0.99), sorted.last ?? 0))
            Console.line(String(format: "charges settled: %.0f a second (%d in %.1f s)",
                                Double(latencies.charges) / elapsed, latencies.charges, elapsed))
        }
    }

    final class Latencies: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [Double] = []
        private(set) var charges = 0
        private(set) var failures = 0
        func add(_ ms: Double, charges count: Int) { lock.withLock { values.append(ms); charges += count } }
        func failed() { lock.withLock { failures += 1 } }
    }
}

import ArgumentParser
import Foundation
import Server

/// `jestry serve`'s options for running a node in a fleet: the drain after SIGTERM, the metrics token, how many
/// service threads there are and how they batch network events.
struct OperationOptions: ParsableArguments {
    @Option(help: "After SIGTERM, seconds live interviews may go on before each ends with server_restarting. [env: JESTRY_DRAIN_SECONDS, default 300]")
    var drainSeconds: Double?
    @Option(help: "A file holding the bearer token GET /metrics requires (or JESTRY_METRICS_TOKEN); without one /metrics is off. [env: JESTRY_METRICS_TOKEN_FILE]")
    var metricsTokenFile: String?
    @Option(help: "Microseconds a service thread gathers network events before handling them; 0: each as it comes. [env: JESTRY_EVENT_BATCH_US, default 1000]")
    var eventBatchUs: Int?
    @Option(help: "Service threads, each serving its share of the connections (1 to 256). [env: JESTRY_SERVICE_THREADS, default: one per core]")
    var serviceThreads: Int?

    func apply(to configuration: inout ServerConfiguration) throws {
        if let seconds = try drainSeconds ?? Environment.value("JESTRY_DRAIN_SECONDS").map({
            guard let number = Double($0) else { throw ValidationError("JESTRY_DRAIN_SECONDS must be a number, not \"\($0)\"") }
            return number
        }) {
            guard seconds.isFinite, seconds >= 0, seconds <= 86_400 else { throw ValidationError("--drain-seconds must be from 0 to 86400") }
            configuration.drainSeconds = seconds
        }
        if let microseconds = try eventBatchUs ?? Environment.value("JESTRY_EVENT_BATCH_US").map({
            guard let number = Int($0) else { throw ValidationError("JESTRY_EVENT_BATCH_US must be a whole number, not \"\($0)\"") }
            return number
        }) {
            guard (0...100_000).contains(microseconds) else { throw ValidationError("--event-batch-us must be from 0 to 100000") }
            configuration.eventBatchMicroseconds = microseconds
        }
        if let threads = try serviceThreads ?? Environment.value("JESTRY_SERVICE_THREADS").map({
            guard let number = Int($0) else { throw ValidationError("JESTRY_SERVICE_THREADS must be a whole number, not \"\($0)\"") }
            return number
        }) {
            guard (1...256).contains(threads) else { throw ValidationError("--service-threads must be from 1 to 256") }
            configuration.serviceThreads = threads
        }
        // Secrets only from a file or the environment: arguments are visible to every user in `ps`.
        if let file = metricsTokenFile ?? Environment.value("JESTRY_METRICS_TOKEN_FILE") {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("--metrics-token-file: cannot read \(file)")
            }
            configuration.metricsToken = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            configuration.metricsToken = Environment.value("JESTRY_METRICS_TOKEN")
        }
        if let token = configuration.metricsToken, token.utf8.count < 16 {
            throw ValidationError("the metrics token must be at least 16 characters (e.g. openssl rand -hex 32)")
        }
    }
}

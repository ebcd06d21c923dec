import ArgumentParser
import CoreMetrics
import Dispatch
import Foundation
import struct Prometheus.PrometheusMetricsFactory
import class Prometheus.PrometheusCollectorRegistry

extension Bench {
    /// What one count costs a service thread: the kinds of handle `EngineMetrics` holds (a counter, a gauge, a
    /// histogram), made the same way (swift-metrics on a swift-prometheus registry), counted in a tight loop on one
    /// thread and then on two at once (the engine's threads share each handle).
    struct MetricsCost: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "metrics",
                                                        abstract: "Nanoseconds per count of the handles behind GET /metrics.")

        @Option(help: "Counts per thread for each handle.")
        var counts = 10_000_000

        func run() throws {
            let factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
            let counter = Counter(label: "bench_counter", factory: factory)
            let gauge = Meter(label: "bench_gauge", factory: factory)
            let histogram = CoreMetrics.Timer(label: "bench_histogram_seconds", factory: factory)
            let handles: [(String, @Sendable () -> Void)] = [
                ("counter (Counter.increment)", { counter.increment() }),
                ("gauge (Meter.increment)", { gauge.increment() }),
                ("histogram (Timer.recordNanoseconds)", { histogram.recordNanoseconds(3_000_000) }),
            ]
            let counts = counts
            for threads in [1, 2] {
                for (name, count) in handles {
                    let started = DispatchTime.now().uptimeNanoseconds
                    DispatchQueue.concurrentPerform(iterations: threads) { _ in for _ in 0..<counts { count() } }
                    let perCount = Double(DispatchTime.now().uptimeNanoseconds - started) / Double(counts)
                    Console.line("\(name), \(threads) thread\(threads == 1 ? "" : "s"): \(String(format: "%.1f", perCount)) ns a count")
                }
            }
        }
    }
}

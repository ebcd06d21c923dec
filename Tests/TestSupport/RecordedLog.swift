import Foundation
import Logging

/// The lines an engine logged, with their level and metadata, kept in memory for tests that check what is logged
/// or report it when they fail.
public final class RecordedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [(level: Logger.Level, message: String, metadata: [String: String])] = []

    public init() {}

    public var lines: [(level: Logger.Level, message: String, metadata: [String: String])] { lock.withLock { recorded } }

    /// The last `count` lines as text, oldest first: level, message, then the metadata sorted by key.
    public func last(_ count: Int) -> [String] {
        lines.suffix(count).map { line in
            ([line.level.rawValue, line.message] + line.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
                .joined(separator: " ")
        }
    }

    public struct Handler: LogHandler {
        let log: RecordedLog
        public var metadata: Logger.Metadata = [:]
        public var logLevel: Logger.Level = .trace

        public init(log: RecordedLog, logLevel: Logger.Level = .trace) {
            self.log = log
            self.logLevel = logLevel
        }

        public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        public func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
                        file: String, function: String, line: UInt) {
            let merged = metadata.merging(extra ?? [:]) { $1 }.mapValues { "\($0)" }
            log.lock.withLock { log.recorded.append((level, message.description, merged)) }
        }
    }
}

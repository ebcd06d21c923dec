import ArgumentParser
import Foundation
import Logging
import Server

/// Options fall back to `JESTRY_*` environment variables, then to the configuration file (`--config`), then to
/// defaults.
enum Environment {
    /// The configuration file's values, keyed by environment variable. Set once, at the start of `serve`, before any
    /// option reads a value; read-only afterwards.
    nonisolated(unsafe) static var file: ConfigFile?

    static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? file?.values[name]
    }

    static func directory(_ option: String?, _ variable: String, default fallback: String) -> URL {
        URL(fileURLWithPath: option ?? value(variable) ?? fallback).standardizedFileURL
    }

    /// `format`: `text` (swift-log's stream format) or `json` (one JSON object a line, metadata as fields).
    static func bootstrapLogging(level: String, format: String = "text") throws {
        guard let parsed = Logger.Level(rawValue: level) else {
            throw ValidationError("--log-level must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ["text", "json"].contains(format) else { throw ValidationError("--log-format must be text or json") }
        LoggingSystem.bootstrap { label in
            if format == "json" {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = parsed
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
    }
}

/// Writes lines to standard output unbuffered, so a reader on a pipe (a test, `make run`) sees them at once.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

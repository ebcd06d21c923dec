import ArgumentParser
import Foundation
import Logging

/// Options fall back to `JESTRY_*` environment variables, then to defaults.
enum Environment {
    static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func directory(_ option: String?, _ variable: String, default fallback: String) -> URL {
        URL(fileURLWithPath: option ?? value(variable) ?? fallback).standardizedFileURL
    }

    static func bootstrapLogging(level: String) throws {
        guard let parsed = Logger.Level(rawValue: level) else {
            throw ValidationError("--log-level must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        LoggingSystem.bootstrap { label in
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

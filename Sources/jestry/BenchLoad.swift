import ArgumentParser
import Bot
import EngineClient
import Foundation

extension Bench {
    /// The whole server under load: many voice candidates over the real WebSocket, from one process and one thread.
    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load",
            abstract: "Play many voice candidates at once against a running engine; report latencies and the server's cost.",
            discussion: """
                Each candidate starts a voice session, answers --turns questions by streaming the WAV in real time in \
                20 ms frames (silence in between, as an open microphone), and ends the session. Turn latency is \
                answer.done → next question; onset latency is the first frame of speech → speech.started. With \
                --server-pid the engine's CPU and memory (from /proc) are reported too. Only loopback URLs are \
                accepted: this is for measuring your own engine. bench/load.sh does a whole run.
                """)

        @Option(help: "The interview WebSocket, e.g. ws://127.0.0.1:8080/v1/interview.")
        var url: String
        @Option(help: "Candidates at once.")
        var sessions = 10
        @Option(help: "Answers per candidate.")
        var turns = 3
        @Option(help: "The engine's process id, for its CPU time and memory.")
        var serverPid: Int32?
        @Option(help: "Spread the connections over this many seconds. [default: sessions / 100]")
        var rampSeconds: Double?
        @Option(help: "A PCM16 WAV each candidate speaks, resampled to 16 kHz. [default: a sentence from espeak-ng]")
        var wav: String?
        @Option(help: "What the WAV says, sent as transcript.final after it (the default sentence has its own).")
        var transcript: String?
        @Option(help: "Bearer tokens, one a line, at least one per session (bench load-accounts writes them). Without it each candidate signs up over HTTP, which the engine limits to about 10 per address.")
        var tokensFile: String?
        @Option(help: "Stop after this many seconds whatever the sessions are doing.")
        var maxSeconds: Double = 900
        @Option(help: "Generator threads, each with its own share of the candidates and its own client.")
        var threads = 1
        @Option(help: "Microseconds between the generator's wakeups. Each candidate's microphone keeps its own 20 ms clock from the moment its session starts; a short tick sends each frame when it is due, as independent clients do, and 20000 sends every candidate's frame in one burst.")
        var tickMicroseconds = 2_000
        @Flag(help: "Each candidate consents to recording: the engine writes every session's audio to its data folder.")
        var record = false
        @Flag(help: "Print the report as JSON.")
        var json = false

        func validate() throws {
            guard (1...20_000).contains(sessions) else { throw ValidationError("--sessions must be from 1 to 20000") }
            guard (1...50).contains(turns) else { throw ValidationError("--turns must be from 1 to 50") }
            guard (1...64).contains(threads) else { throw ValidationError("--threads must be from 1 to 64") }
            guard (100...20_000).contains(tickMicroseconds) else { throw ValidationError("--tick-microseconds must be from 100 to 20000") }
            guard maxSeconds > 0, maxSeconds <= 24 * 3600 else { throw ValidationError("--max-seconds must be more than 0 and at most a day") }
            if let rampSeconds, rampSeconds < 0 || rampSeconds > maxSeconds {
                throw ValidationError("--ramp-seconds must be from 0 to --max-seconds")
            }
        }

        func run() throws {
            guard let socketURL = URL(string: url), socketURL.scheme == "ws", let host = socketURL.host else {
                throw ValidationError("--url must look like ws://127.0.0.1:8080/v1/interview")
            }
            guard ["localhost", "::1", "[::1]"].contains(host) || host.hasPrefix("127.") else {
                throw ValidationError("--url must be a loopback address (127.x.x.x, localhost or ::1)")
            }
            let speech = try wav.map { try LoadSpeech(contentsOf: URL(fileURLWithPath: $0), transcript: transcript) } ?? LoadSpeech.spoken()
            let signIns: [LoadRun.SignIn]
            if let tokensFile {
                let tokens = try String(contentsOfFile: tokensFile, encoding: .utf8).split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                guard tokens.count >= sessions else {
                    throw ValidationError("\(tokensFile) has \(tokens.count) tokens; --sessions \(sessions) needs as many")
                }
                signIns = tokens.prefix(sessions).map { .token($0) }
            } else {
                let api = HTTPClient(baseURL: URL(string: "http://\(host)\(socketURL.port.map { ":\($0)" } ?? "")/")!)
                signIns = LoadSignUp.signIns(count: sessions, api: api)
            }
            var plan = LoadRun.Plan(url: socketURL, signIns: signIns, turns: turns, speech: speech)
            plan.rampSeconds = rampSeconds ?? Double(sessions) / 100
            plan.maxSeconds = maxSeconds
            plan.serverPID = serverPid
            plan.record = record
            plan.threads = threads
            plan.tickMicroseconds = tickMicroseconds
            let report = try LoadRun.run(plan) { line in
                FileHandle.standardError.write(Data(("load: " + line + "\n").utf8))
            }
            Console.line(json ? try report.json() : report.table)
        }
    }
}

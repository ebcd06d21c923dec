import ArgumentParser
import Foundation
import Logging
import Prompts
import Server
import Store

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the engine: web page, HTTP API and interview WebSocket.")

    @Option(help: "TCP port; 0 picks a free one and prints it. [env: JESTRY_PORT, default 8080]")
    var port: Int?
    @Option(help: "Interface to listen on. [env: JESTRY_HOST, default all]")
    var host: String?
    @Option(help: "Folder for the SQLite database. [env: JESTRY_DATA, default ./data]")
    var data: String?
    @Option(help: "Folder of prompt templates. [env: JESTRY_PROMPTS, default ./Prompts]")
    var prompts: String?
    @Option(name: .customLong("static"), help: "Folder of the browser client. [env: JESTRY_STATIC, default ./web-static]")
    var staticFolder: String?
    @Option(help: "Minutes each new account starts with; fractions allowed. [env: JESTRY_TRIAL_MINUTES, default 10]")
    var trialMinutes: Double?
    @Option(help: "An OpenAI-compatible speech-to-text service for voice sessions (key in JESTRY_STT_KEY, model in JESTRY_STT_MODEL). [env: JESTRY_STT_URL]")
    var sttURL: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical. [env: JESTRY_LOG_LEVEL]")
    var logLevel: String?
    @Option(help: "text, or json for one JSON object a line. [env: JESTRY_LOG_FORMAT, default text]")
    var logFormat: String?
    @Option(help: "A YAML file of settings (`jestry config check FILE`); flags and JESTRY_* variables override it. [env: JESTRY_CONFIG]")
    var config: String?
    @Option(help: "PEM certificate (chain) for HTTPS and WSS; needs --tls-key. [env: JESTRY_TLS_CERT]")
    var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert. [env: JESTRY_TLS_KEY]")
    var tlsKey: String?
    @Option(name: .customLong("allowed-origin"),
            help: "A browser origin besides the server's own that may open the interview, e.g. https://app.example.com (repeatable). [env: JESTRY_ALLOWED_ORIGINS, comma-separated]")
    var allowedOrigins: [String] = []
    @Option(help: "JSON file of products the payment webhook sells: {\"minutes-60\": 60, …}. [env: JESTRY_PRODUCTS]")
    var products: String?
    @Option(help: "Send billing.warning when this many seconds are left. [env: JESTRY_BILLING_WARNING_SECONDS, default 60]")
    var billingWarningSeconds: Double?
    @OptionGroup(title: "Limits on what one client may cost")
    var limits: LimitOptions
    @OptionGroup(title: "Operations")
    var operations: OperationOptions
    @OptionGroup(title: "The model interviewer")
    var model: ModelOptions
    @OptionGroup(title: "The database")
    var database: DatabaseOptions

    func run() throws {
        if let file = config ?? Environment.value("JESTRY_CONFIG") {
            do {
                Environment.file = try ConfigFile.load(path: file)
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode.failure
            }
        }
        try Environment.bootstrapLogging(level: logLevel ?? Environment.value("JESTRY_LOG_LEVEL") ?? "info",
                                         format: logFormat ?? Environment.value("JESTRY_LOG_FORMAT") ?? "text")
        let logger = Logger(label: "jestry")
        var configuration = ServerConfiguration(
            dataDirectory: Environment.directory(data, "JESTRY_DATA", default: "data"),
            promptsDirectory: Environment.directory(prompts, "JESTRY_PROMPTS", default: "Prompts"),
            staticDirectory: Environment.directory(staticFolder, "JESTRY_STATIC", default: "web-static"))
        configuration.port = try port ?? Environment.value("JESTRY_PORT").map {
            guard let number = Int($0) else { throw ValidationError("JESTRY_PORT must be a number, not \"\($0)\"") }
            return number
        } ?? 8080
        configuration.host = host ?? Environment.value("JESTRY_HOST")
        if let url = sttURL ?? Environment.value("JESTRY_STT_URL") {
            guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https" else {
                throw ValidationError("--stt-url must be an http(s) URL, not \"\(url)\"")
            }
            configuration.speechToTextURL = parsed
            configuration.speechToTextKey = Environment.value("JESTRY_STT_KEY")
            configuration.speechToTextModel = Environment.value("JESTRY_STT_MODEL") ?? configuration.speechToTextModel
        }
        configuration.trialMinutes = try trialMinutes ?? Environment.value("JESTRY_TRIAL_MINUTES").map {
            guard let number = Double($0) else { throw ValidationError("JESTRY_TRIAL_MINUTES must be a number, not \"\($0)\"") }
            return number
        } ?? 10
        guard (0...65535).contains(configuration.port) else { throw ValidationError("--port must be from 0 to 65535") }
        try AccountOptions(tlsCert: tlsCert, tlsKey: tlsKey, allowedOrigins: allowedOrigins, products: products,
                           billingWarningSeconds: billingWarningSeconds).apply(to: &configuration)
        try limits.apply(to: &configuration)
        try operations.apply(to: &configuration)
        configuration.model = try model.provider()
        try database.apply(to: &configuration)
        guard configuration.trialMinutes >= 0 else { throw ValidationError("--trial-minutes cannot be negative") }

        let engine: Engine
        do {
            engine = try Engine.start(configuration, logger: logger)
        } catch let failure as Engine.PromptsFailure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            throw ExitCode.failure
        }
        // SIGTERM drains (a second one stops at once); SIGINT (Ctrl-C) stops at once.
        let terminations = Counted()
        let drainSeconds = configuration.drainSeconds
        try TerminationSignals.forward { number in
            if number == SIGTERM, terminations.next() == 1 {
                Thread.detachNewThread { engine.drain(seconds: drainSeconds) }
            } else {
                logger.info("stopping")
                engine.stop()
            }
        }
        // Only now: whoever waits for this line may signal at once.
        Console.line("Jestry listening on \(configuration.tlsEnabled ? "https" : "http")://localhost:\(engine.port)")
        engine.server.waitUntilStopped()
        do {
            try engine.close()
        } catch {
            logger.error("could not close the database cleanly", metadata: ["error": "\(error)"])
        }
    }
}

/// How many times something happened, counted on the signal thread.
private final class Counted: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func next() -> Int { lock.withLock { count += 1; return count } }
}

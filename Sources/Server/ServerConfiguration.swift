import Foundation

/// How `jestry serve` runs. Every field has a command-line option and an environment variable (see the CLI).
public struct ServerConfiguration: Sendable {
    /// TCP port; 0 asks the kernel for a free one (read it back from `EngineServer.port`).
    public var port: Int = 8080
    /// Interface to listen on; nil for all.
    public var host: String? = nil
    public var dataDirectory: URL
    public var promptsDirectory: URL
    public var staticDirectory: URL
    /// Minutes every new account starts with.
    public var trialMinutes: Double = 10
    /// Largest text frame accepted; larger ones close the connection with 1009.
    public var maxTextMessageBytes = 64 * 1024
    /// Largest binary (audio) frame accepted: one second of 48 kHz PCM16 is 96,000 bytes.
    public var maxBinaryMessageBytes = 256 * 1024
    /// Largest HTTP request body; larger ones get 413.
    public var maxHTTPBodyBytes = 64 * 1024
    /// How often live usage is settled with the ledger.
    public var settlementIntervalMs: Int64 = 1_000
    /// The per-connection timer that drives live feedback.
    public var tickIntervalMs: Int64 = 250
    /// How long a login token lasts.
    public var tokenLifetime: TimeInterval = 30 * 24 * 3600
    public var passwordIterations = 600_000

    public init(dataDirectory: URL, promptsDirectory: URL, staticDirectory: URL) {
        self.dataDirectory = dataDirectory
        self.promptsDirectory = promptsDirectory
        self.staticDirectory = staticDirectory
    }

    public var trialMs: Int64 { Int64((trialMinutes * 60_000).rounded()) }
    public var databasePath: String { dataDirectory.appendingPathComponent("jestry.sqlite").path }
}

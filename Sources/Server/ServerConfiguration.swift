import Foundation

/// How `jestry serve` runs. Every field has a command-line option and an environment variable (see the CLI).
public struct ServerConfiguration: Sendable {
    /// TCP port; 0 asks the kernel for a free one (read it back from `EngineServer.port`).
    public var port: Int = 8080
    /// Interface to listen on; nil for all.
    public var host: String? = nil
    /// Service threads, each with its own libwebsockets context on the port; a connection stays on the thread the
    /// kernel gave it. One per core by default.
    public var serviceThreads = ProcessInfo.processInfo.activeProcessorCount
    /// How long a service thread gathers network events before it handles them (libev's I/O collect interval),
    /// in microseconds; 0 handles each as it comes. Under load a wakeup then serves many connections' frames instead
    /// of one or two, which saves the kernel's sleep and wakeup per frame; the cost is at most this much latency.
    public var eventBatchMicroseconds = 1_000
    public var dataDirectory: URL
    /// A PostgreSQL URL: the store a fleet of engine nodes shares. Nil keeps the embedded SQLite in `dataDirectory`.
    public var databaseURL: String? = nil
    /// This node's name in a fleet: on the sessions it starts (it closes only its own after a crash) and at the
    /// start of its resume tokens (a load balancer routes a resume to it). Letters, digits, `-`, `_` and `.`.
    public var nodeID = ProcessInfo.processInfo.hostName
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
    /// How long a live session whose connection dropped waits, unmetered, for `session.resume`; 0 ends it at once.
    public var resumeGraceSeconds: Double = 60
    /// How often live usage is settled with the ledger.
    public var settlementIntervalMs: Int64 = 1_000
    /// How long a login token lasts.
    public var tokenLifetime: TimeInterval = 30 * 24 * 3600
    public var passwordIterations = 600_000
    /// An OpenAI-compatible speech-to-text service for voice sessions; nil leaves transcripts to the client.
    public var speechToTextURL: URL?
    /// Its API key (from the environment only, never a command-line option, never logged).
    public var speechToTextKey: String?
    public var speechToTextModel = "whisper-1"
    /// Transcriptions the engine runs at once, and how many more may wait; past that a stretch of speech stays
    /// untranscribed (the interview goes on).
    public var speechToTextMaxInFlight = 2
    public var speechToTextMaxQueued = 8
    /// A transcription that has not answered in this time has failed.
    public var speechToTextTimeoutSeconds: Double = 10
    /// How often the service's `GET /health` is probed (`GET /v1/health` reports the result), and its timeout.
    public var speechToTextProbeIntervalSeconds: Double = 5
    public var speechToTextProbeTimeoutSeconds: Double = 2
    /// A language model that words follow-ups; nil keeps the template interviewer.
    public var model: ModelProviderConfiguration?

    // MARK: What one client may cost (each refusal is a specific error, HTTP status or close code)

    /// An HTTP request body must arrive completely within this time of its headers; otherwise 408 and close.
    public var requestBodyDeadlineSeconds: Double = 10
    /// Whole seconds a request's line and headers (an upgrade request's too) may take from their first byte; then
    /// lws closes the connection (it is still reading the head, so there is no answer to give).
    public var requestHeadDeadlineSeconds = 10
    /// Interview WebSockets open at once from one client address; more get 429 `too_many_connections`. 0: no limit.
    public var maxInterviewConnectionsPerAddress = 64
    /// Interview WebSockets open at once for one account; more get 429 `too_many_connections`. 0: no limit.
    public var maxInterviewConnectionsPerAccount = 6
    /// Sessions live at once for one account (a dropped one waiting for resume counts); more get
    /// `too_many_sessions`. 0: no limit.
    public var maxLiveSessionsPerAccount = 3
    /// Bytes of events waiting for one connection that does not read them; past this it is closed with 1008
    /// (`not_reading`) and its session waits for resume as after a drop.
    public var maxQueuedOutputBytes = 512 * 1024
    /// Bytes of one request's line and headers (cookies included). lws's own default, 4 KiB, is less than a browser
    /// with a few large cookies sends; past this lws closes the connection without an answer.
    public var maxRequestHeadBytes = 16 * 1024
    /// Text messages per connection (binary frames too, where no audio is expected): past this the extra ones are
    /// dropped with `rate_limited`. 20 a second sustained is far above any client's need.
    public var messageLimit = RateLimit(burst: 60, period: 3)
    /// A connection that starts no session within this time is closed (`session_start_timeout`, 1008).
    public var sessionStartTimeoutSeconds: Double = 15

    // MARK: Accounts, access and minutes

    /// A token unused for this long ends, even before `tokenLifetime` (OWASP: idle and absolute timeouts).
    public var tokenIdleTimeout: TimeInterval = 7 * 24 * 3600
    /// How often a live interview checks that the token it was opened with is still valid (not logged out,
    /// expired or deleted); one that is not gets an `error` and the connection closes with 1008.
    public var tokenRecheckInterval: TimeInterval = 30
    /// `billing.warning` is sent when the balance falls to this.
    public var billingWarningMs: Int64 = 60_000
    /// Browser origins, besides the server's own, allowed to open the interview WebSocket (e.g.
    /// `https://app.example.com`). Requests without an `Origin` header (bots, native clients) are always allowed.
    public var allowedOrigins: [String] = []
    /// PEM certificate chain and private key: with both, the server speaks only HTTPS and WSS.
    public var tlsCertificatePath: String? = nil
    public var tlsPrivateKeyPath: String? = nil
    /// Secrets the payment processor signs webhooks with; more than one during a rotation. Empty turns the webhook
    /// endpoint off. Never logged.
    public var webhookSecrets: [String] = []
    /// How far a webhook's signed timestamp may be from now.
    public var webhookTolerance: TimeInterval = 300
    /// What each product id sells, in minutes (e.g. `"minutes-60": 60`).
    public var products: [String: Double] = [:]
    /// Sign-in and signup limits (token buckets: `burst` at once, refilled evenly over `period`).
    public var loginLimitPerAddress = RateLimit(burst: 20, period: 60)
    public var loginFailureLimitPerAccount = RateLimit(burst: 10, period: 15 * 60)
    public var signupLimitPerAddress = RateLimit(burst: 10, period: 3600)
    public var signupLimitPerEmail = RateLimit(burst: 3, period: 3600)

    // MARK: Video recordings (docs/PROTOCOL.md §8, "Session video")

    /// Largest chunk of a video upload; larger ones get 413 `chunk_too_large`.
    public var maxVideoChunkBytes = 4 * 1024 * 1024
    /// Chunk uploads per session (a token bucket); past it 429 `rate_limited` with `Retry-After`.
    public var videoChunkLimit = RateLimit(burst: 30, period: 10)
    /// Bytes of video one account may keep over all its sessions; past it 507 `storage_limit_reached`. 0: no limit.
    public var videoStorageBytesPerAccount: Int64 = 2 * 1024 * 1024 * 1024
    /// How long after its interview ended a video still takes the chunks the browser had not sent yet.
    public var videoUploadGraceSeconds: Double = 120

    // MARK: Operations

    /// The bearer token `GET /metrics` requires (from a secret file or the environment, never a flag; never logged).
    /// nil turns the endpoint off.
    public var metricsToken: String? = nil
    /// After SIGTERM, live interviews may run this long before each ends with `server_restarting`.
    public var drainSeconds: Double = 300

    /// The wall clock for token expiry, webhook timestamps and rate limits; tests replace it.
    public var clock: @Sendable () -> Date = { Date() }

    public init(dataDirectory: URL, promptsDirectory: URL, staticDirectory: URL) {
        self.dataDirectory = dataDirectory
        self.promptsDirectory = promptsDirectory
        self.staticDirectory = staticDirectory
    }

    public var trialMs: Int64 { Int64((trialMinutes * 60_000).rounded()) }
    public var databasePath: String { dataDirectory.appendingPathComponent("jestry.sqlite").path }
}

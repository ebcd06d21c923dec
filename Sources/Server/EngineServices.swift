import Dispatch
import Foundation
import Interview
import Logging
import OutboundHTTP
import Store

/// What every service thread shares. Everything here is safe to use from any thread: the store (GRDB pools), the
/// prompt provider and the API routes lock what they hold, and the registries below are locked.
final class EngineServices: Sendable {
    let configuration: ServerConfiguration
    let store: any EngineStore
    let prompts: PromptsProvider
    let logger: Logger
    let routes: APIRoutes
    let staticFiles: StaticFiles
    let originPolicy: OriginPolicy
    /// Server-side speech to text with its bounds and health probe, when configured; clients may send their own
    /// transcripts either way.
    let transcription: TranscriptionService?
    /// The model interviewer's service, when configured (`--model-url`).
    let model: ModelProvider?
    /// The one HTTP client (one thread, one libcurl multi handle) of the calls to the transcriber and the model;
    /// its thread starts with the first call.
    let outboundHTTP = OutboundHTTPClient(name: "jestry.outbound")
    /// All database writes, in order. Session videos are appended here directly (`VideoUploads`); the interviews'
    /// records and settlements through `writer`.
    let storeWriter: DispatchQueue
    /// The interviews' writes, in the order they are handed over whichever thread the session is on (a resumed
    /// session may move): records of a session never overtake each other or its settlements.
    let writer: StoreWriter
    /// API handlers and checks that may block (password hashing, reads).
    let workers = DispatchQueue(label: "jestry.api-workers", attributes: .concurrent)
    /// Recordings whose files are still being completed; the engine waits for them when it stops.
    let recordingsFinishing = DispatchGroup()
    /// Sessions that cross threads: parked ones, and which thread serves each live one.
    let sessions = SessionRegistry()
    /// Interview connections per address and per account, over all threads.
    let connections: ConnectionCounts
    /// The monotonic clock every service thread reads; injected so tests can run the server on a test clock.
    let clock: @Sendable () -> ClockReading
    /// What `GET /metrics` shows.
    let metrics: EngineMetrics
    /// Set after SIGTERM: no new interviews, live ones finish by the deadline.
    let drain = DrainState()

    init(configuration: ServerConfiguration, store: any EngineStore, prompts: PromptsProvider, logger: Logger,
         clock: @escaping @Sendable () -> ClockReading) {
        self.configuration = configuration
        self.store = store
        self.prompts = prompts
        self.logger = logger
        self.clock = clock
        let storeWriter = DispatchQueue(label: "jestry.store-writer")
        self.storeWriter = storeWriter
        let metrics = EngineMetrics(serviceThreads: configuration.serviceThreads)
        self.metrics = metrics
        writer = StoreWriter(store: store, queue: storeWriter, metrics: metrics)
        let outboundHTTP = outboundHTTP
        transcription = configuration.speechToTextURL.map {
            var transcriber = OpenAICompatibleTranscriber(baseURL: $0, apiKey: configuration.speechToTextKey,
                                                          model: configuration.speechToTextModel, http: outboundHTTP)
            transcriber.timeout = configuration.speechToTextTimeoutSeconds
            let health = TranscriptionHealth(baseURL: $0, interval: configuration.speechToTextProbeIntervalSeconds,
                                             timeout: configuration.speechToTextProbeTimeoutSeconds, logger: logger,
                                             http: outboundHTTP)
            health.start()
            return TranscriptionService(transcriber: transcriber, maxInFlight: configuration.speechToTextMaxInFlight,
                                        maxQueued: configuration.speechToTextMaxQueued,
                                        timeout: configuration.speechToTextTimeoutSeconds, health: health, logger: logger,
                                        calls: metrics.transcriptionCalls)
        }
        model = configuration.model.map { ModelProvider($0, logger: logger, http: outboundHTTP) }
        routes = APIRoutes(store: store, prompts: prompts, configuration: configuration, logger: logger,
                           transcription: transcription?.health, videoWriter: storeWriter, drain: drain, metrics: metrics)
        metrics.sampler = { [transcription, drain] in
            let load = transcription?.load ?? (inFlight: 0, queued: 0)
            metrics.transcriptionInFlight.set(load.inFlight)
            metrics.transcriptionQueued.set(load.queued)
            metrics.draining.set(drain.isDraining ? 1 : 0)
        }
        staticFiles = StaticFiles(root: configuration.staticDirectory)
        originPolicy = OriginPolicy(allowedOrigins: configuration.allowedOrigins, tls: configuration.tlsEnabled)
        connections = ConnectionCounts(perAddress: configuration.maxInterviewConnectionsPerAddress,
                                       perAccount: configuration.maxInterviewConnectionsPerAccount)
    }

    /// A new connection's machine settings: it transcribes speech itself when a transcriber is configured and its
    /// health probe last found it up (`session.started` tells the client which).
    var machineSettings: InterviewStateMachine.Settings {
        var settings = configuration.machineSettings
        settings.transcribesSpeech = transcription?.health.isAvailable ?? false
        return settings
    }

    deinit {
        transcription?.health.stop()
        outboundHTTP.shutdown()
    }
}

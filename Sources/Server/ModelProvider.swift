import Foundation
import Interview
import Logging
import Model
import OutboundHTTP

/// `jestry serve --model-url`: the model service that words follow-ups (and grades answers), with its bounds.
public struct ModelProviderConfiguration: Sendable {
    /// An OpenAI-compatible service: `/v1/chat/completions` is appended (just `/chat/completions` to a URL that
    /// ends in `/v1`).
    public var url: URL
    /// Its API key, from `JESTRY_MODEL_KEY` only: never a command-line option, never logged.
    public var key: String?
    /// The `model` of each request; stored with every question the model worded.
    public var name: String
    /// Model calls the engine runs at once, and how many more may wait; past that the template is used at once.
    public var maxInFlight = 4
    public var maxQueued = 16
    /// How long a candidate may wait for a worded follow-up (to the first token, and in all).
    public var budget = ModelLatencyBudget()
    public var maxFollowUpWords = 45
    /// How long the connection stays open after `session.ended` for the written report (`report.written`).
    public var reportWaitMs: Int64 = 8_000

    public init(url: URL, key: String?, name: String) {
        self.url = url
        self.key = key
        self.name = name
    }
}

/// The engine's model: one client and one set of bounds for every service thread.
final class ModelProvider: Sendable {
    let configuration: ModelProviderConfiguration
    let client: OpenAICompatibleChatClient
    let limiter: ModelRequestLimiter
    private let failures: FailureLog

    init(_ configuration: ModelProviderConfiguration, logger: Logger, http: OutboundHTTPClient) {
        self.configuration = configuration
        client = OpenAICompatibleChatClient(baseURL: configuration.url, apiKey: configuration.key, model: configuration.name,
                                            http: http)
        limiter = ModelRequestLimiter(model: client, maxInFlight: configuration.maxInFlight, maxQueued: configuration.maxQueued)
        failures = FailureLog(logger: logger)
    }

    /// What a session with the model interviewer is given.
    var interviewer: ModelInterviewer {
        ModelInterviewer(modelName: configuration.name, budget: configuration.budget, maxWords: configuration.maxFollowUpWords,
                         reportWaitMs: configuration.reportWaitMs)
    }

    /// A call's whole answer may take no longer than this; a follow-up is cancelled sooner, by its budget.
    var callTimeout: TimeInterval { max(5, Double(configuration.budget.totalMs) / 1000 * 4) }
    /// A grade is off the critical path: it may take longer, but not for ever.
    let gradingTimeout: TimeInterval = 60

    /// Failures are logged when the model stops working and when it works again (never one line per call), with
    /// the reason but never the prompt or the answer.
    func noteOutcome(_ failure: String?) { failures.note(failure) }

    private final class FailureLog: @unchecked Sendable {
        private let logger: Logger
        private let lock = NSLock()
        private var failing = false

        init(logger: Logger) { self.logger = logger }

        func note(_ failure: String?) {
            let changed: Bool = lock.withLock {
                defer { failing = failure != nil }
                return (failure != nil) != failing
            }
            guard changed else { return }
            if let failure {
                logger.warning("model wording failed; follow-ups use the templates' text until it works again (logged once)",
                               metadata: ["reason": "\(failure)"])
            } else {
                logger.notice("model wording works again")
            }
        }
    }
}

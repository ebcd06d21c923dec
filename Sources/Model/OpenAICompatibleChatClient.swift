import Foundation
import OutboundHTTP

/// A model behind an OpenAI-compatible `POST /v1/chat/completions`, streamed (server-sent events): llama.cpp's
/// server, vLLM, Ollama's OpenAI endpoint, hosted APIs.
public protocol ChatModel: Sendable {
    /// Starts a streamed completion. `onEvent` is called off the caller's thread (except a refusal by a bound,
    /// which may come at once), in order: `firstToken` at most once, then `finished` exactly once (also after
    /// `cancel`, with `.cancelled`, and after `timeout` seconds without the whole answer, with `.timedOut`).
    func stream(_ request: ChatRequest, timeout: TimeInterval,
                onEvent: @escaping @Sendable (ChatStreamEvent) -> Void) -> ModelCall
}

/// A model call in flight; `cancel` stops it (closing its connection) and frees its place.
public final class ModelCall: Sendable {
    private let onCancel: @Sendable () -> Void

    public init(onCancel: @escaping @Sendable () -> Void) {
        self.onCancel = onCancel
    }

    public func cancel() { onCancel() }
}

/// The engine's client for one model service, on an `OutboundHTTPClient`: the answer is read as it streams, so the
/// first token is noticed when it comes, not when the answer ends, and `cancel` closes the connection (a local
/// server stops generating). Nothing here runs on an engine service thread: the events come from the HTTP
/// client's own thread.
public final class OpenAICompatibleChatClient: ChatModel, Sendable {
    /// The service, e.g. `http://127.0.0.1:8092` or `https://api.example.com/v1`: `/v1/chat/completions` is
    /// appended (just `/chat/completions` when the URL already ends in `/v1`).
    public let baseURL: URL
    /// Sent as a bearer token; never logged.
    private let apiKey: String?
    /// The `model` of every request (a local server may ignore it).
    public let model: String
    /// An answer whose text passes this is cut off as `tooLong`: far above any question or grade the engine asks for.
    public let maxResponseBytes: Int
    /// The stream around it is much larger (llama.cpp sends about 350 bytes of JSON per token): bounded too, so a
    /// server that streams empty chunks for ever cannot make the engine read for ever.
    public var maxStreamBytes: Int { maxResponseBytes * 64 }
    private let http: OutboundHTTPClient
    private let ownsHTTP: Bool

    /// `http` is the engine's shared client; without one, this client starts its own (the command line's previews
    /// and personas), which `invalidate` stops.
    public init(baseURL: URL, apiKey: String?, model: String, maxResponseBytes: Int = 32 * 1024,
                http: OutboundHTTPClient? = nil) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.maxResponseBytes = maxResponseBytes
        self.http = http ?? OutboundHTTPClient(name: "jestry.model")
        ownsHTTP = http == nil
    }

    var endpoint: URL {
        baseURL.lastPathComponent == "v1" ? baseURL.appendingPathComponent("chat/completions")
                                          : baseURL.appendingPathComponent("v1/chat/completions")
    }

    public func stream(_ request: ChatRequest, timeout: TimeInterval,
                       onEvent: @escaping @Sendable (ChatStreamEvent) -> Void) -> ModelCall {
        let outbound = OutboundRequest(
            method: .post, url: endpoint,
            headers: [("Content-Type", "application/json"), ("Accept", "text/event-stream")],
            body: request.body(model: model), bearerToken: apiKey,
            limits: OutboundLimits(total: timeout, maxResponseBytes: maxStreamBytes))
        let stream = ChatCompletionStream(maxResponseBytes: maxResponseBytes, maxStreamBytes: maxStreamBytes, timeout: timeout)
        let transfer = http.start(outbound, receiver: StreamReceiver(stream, onEvent: onEvent))
        return ModelCall { transfer.cancel() }
    }

    /// Stops the client's own HTTP client (every call still out finishes as cancelled); a shared one is left to
    /// its owner. Safe from any thread, an event handler included.
    public func invalidate() {
        if ownsHTTP { http.shutdown() }
    }
}

/// Feeds one call's response to its `ChatCompletionStream` and passes the events on; used only on the HTTP
/// client's thread, one callback at a time.
private final class StreamReceiver: OutboundReceiver, @unchecked Sendable {
    private var stream: ChatCompletionStream
    private let onEvent: @Sendable (ChatStreamEvent) -> Void

    init(_ stream: ChatCompletionStream, onEvent: @escaping @Sendable (ChatStreamEvent) -> Void) {
        self.stream = stream
        self.onEvent = onEvent
    }

    func headReceived(status: Int) -> OutboundDisposition {
        stream.headReceived(status: status)
        return .proceed
    }

    func bodyReceived(_ chunk: Data) -> OutboundDisposition {
        let (events, stop) = stream.bodyReceived(chunk)
        events.forEach(onEvent)
        return stop ? .stop : .proceed
    }

    func finished(_ result: Result<Void, OutboundFailure>) {
        onEvent(.finished(stream.transferFinished(result)))
    }
}

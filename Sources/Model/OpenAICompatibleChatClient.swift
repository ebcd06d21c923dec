import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A model behind an OpenAI-compatible `POST /v1/chat/completions`, streamed (server-sent events): llama.cpp's
/// server, vLLM, Ollama's OpenAI endpoint, hosted APIs.
public protocol ChatModel: Sendable {
    /// Starts a streamed completion. `onEvent` is called off the caller's thread, in order: `firstToken` at most
    /// once, then `finished` exactly once (also after `cancel`, with `.cancelled`, and after `timeout` seconds
    /// without the whole answer, with `.timedOut`).
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

/// The engine's client for one model service, on FoundationNetworking's `URLSession` (libcurl) with a data
/// delegate, so the answer is read as it streams: the first token is noticed when it comes, not when the answer
/// ends, and `cancel` closes the connection (`URLSessionTask.cancel`). One session and one serial delegate queue
/// serve every call; nothing here runs on an engine service thread.
public final class OpenAICompatibleChatClient: NSObject, ChatModel, URLSessionDataDelegate, @unchecked Sendable {
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

    private var session: URLSession!
    private let lock = NSLock()
    private var calls: [Int: CallState] = [:]

    private final class CallState {
        let onEvent: @Sendable (ChatStreamEvent) -> Void
        var parser = ServerSentEventParser()
        var status = 0
        var errorBody = Data()
        var text = ""
        var bytes = 0
        var sawToken = false
        var sawEnd = false
        var failure: ModelFailure?
        var finished = false

        init(onEvent: @escaping @Sendable (ChatStreamEvent) -> Void) {
            self.onEvent = onEvent
        }
    }

    public init(baseURL: URL, apiKey: String?, model: String, maxResponseBytes: Int = 32 * 1024) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.maxResponseBytes = maxResponseBytes
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64  // the engine's own bounds decide how many run
        // No cache: nothing here is cacheable, and with a URLCache FoundationNetworking looks a task up on a
        // background queue before it starts, where a `cancel` can race the task's removal and trap ("a task that is
        // not in the registry"). The engine cancels often (budgets, barge-in), so the window must not exist.
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "jestry.model-client"
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
    }

    var endpoint: URL {
        baseURL.lastPathComponent == "v1" ? baseURL.appendingPathComponent("chat/completions")
                                          : baseURL.appendingPathComponent("v1/chat/completions")
    }

    public func stream(_ request: ChatRequest, timeout: TimeInterval,
                       onEvent: @escaping @Sendable (ChatStreamEvent) -> Void) -> ModelCall {
        var urlRequest = URLRequest(url: endpoint, timeoutInterval: timeout)
        urlRequest.httpMethod = "POST"
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        urlRequest.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        if let apiKey { urlRequest.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        urlRequest.httpBody = request.body(model: model)
        let task = session.dataTask(with: urlRequest)
        let id = task.taskIdentifier
        lock.withLock { calls[id] = CallState(onEvent: onEvent) }
        // A watchdog on the whole answer: URLSession's own timeout only bounds the silence between packets.
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + timeout) { [weak self, weak task] in
            guard let self, let task else { return }
            self.fail(id, .timedOut(seconds: timeout), task: task)
        }
        task.resume()
        return ModelCall { [weak self, weak task] in
            guard let self, let task else { return }
            self.fail(id, .cancelled, task: task)
        }
    }

    /// Ends a call early: it finishes with `failure` once the task has stopped.
    private func fail(_ id: Int, _ failure: ModelFailure, task: URLSessionTask) {
        let cancel: Bool = lock.withLock {
            guard let call = calls[id], !call.finished, call.failure == nil else { return false }
            call.failure = failure
            return true
        }
        if cancel { task.cancel() }
    }

    /// Stops every call and the session; the client is unusable afterwards. Safe from any thread, a delegate
    /// callback included.
    public func invalidate() {
        let session = session!
        DispatchQueue.global(qos: .utility).async { session.invalidateAndCancel() }
    }

    // MARK: URLSessionDataDelegate (on the client's serial queue)

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                           completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        lock.withLock { calls[dataTask.taskIdentifier]?.status = status }
        completionHandler(.allow)
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        var events: [ChatStreamEvent] = []
        var handler: (@Sendable (ChatStreamEvent) -> Void)?
        var stop = false
        lock.withLock {
            guard let call = calls[dataTask.taskIdentifier], call.failure == nil, !call.finished else { return }
            handler = call.onEvent
            call.bytes += data.count
            guard call.bytes <= maxStreamBytes else {
                call.failure = .tooLong(limit: maxStreamBytes)
                stop = true
                return
            }
            guard call.status == 200 else {
                if call.errorBody.count < 1_024 { call.errorBody.append(data.prefix(1_024 - call.errorBody.count)) }
                return
            }
            do {
                for payload in try call.parser.feed(data) {
                    switch ChatCompletionChunk.parse(payload) {
                    case .done:
                        call.sawEnd = true
                    case .content(let content, let finished):
                        if let content, !content.isEmpty {
                            call.text += content
                            if call.text.utf8.count > maxResponseBytes {
                                call.failure = .tooLong(limit: maxResponseBytes)
                                stop = true
                            }
                            if !call.sawToken {
                                call.sawToken = true
                                events.append(.firstToken)
                            }
                        }
                        if finished { call.sawEnd = true }
                    case .error(let message):
                        call.failure = .malformed("the stream carried an error: \(message.prefix(200))")
                        stop = true
                    case nil:
                        call.failure = .malformed("a data line was not a chat completion chunk: \(payload.prefix(120))")
                        stop = true
                    }
                    if stop { break }
                }
            } catch {
                call.failure = .malformed("\(error)")
                stop = true
            }
        }
        if let handler { events.forEach(handler) }
        if stop { dataTask.cancel() }
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let finished: (handler: @Sendable (ChatStreamEvent) -> Void, result: Result<String, ModelFailure>)? = lock.withLock {
            guard let call = calls.removeValue(forKey: task.taskIdentifier), !call.finished else { return nil }
            call.finished = true
            let result: Result<String, ModelFailure>
            if let failure = call.failure {
                result = .failure(failure)
            } else if let error {
                result = .failure(.transport("\(error.localizedDescription)"))
            } else if call.status != 200 {
                result = .failure(.status(call.status, String(decoding: call.errorBody, as: UTF8.self)))
            } else if !call.sawEnd {
                result = .failure(.malformed("the stream ended before its end (no finish_reason, no [DONE])"))
            } else {
                result = .success(call.text)
            }
            return (call.onEvent, result)
        }
        if let finished { finished.handler(.finished(finished.result)) }
    }
}

import Foundation

/// A scripted stand-in for an OpenAI-compatible model service on 127.0.0.1: each `POST /v1/chat/completions`
/// gets the behaviour `script` picks for it (a stream of deltas with delays, an error status, a hang), each on its
/// own thread, and the server notes whether the client closed the connection before the answer ended (a cancel).
public final class StandInModelServer: @unchecked Sendable {
    public enum Behaviour: Sendable {
        /// `data:` chunks with these deltas, the first after `firstDelay` seconds and the rest `between` apart,
        /// then a finish chunk and `[DONE]`.
        case stream([String], firstDelay: TimeInterval = 0, between: TimeInterval = 0.01)
        /// This HTTP status with a JSON error body.
        case status(Int)
        /// Streams these deltas, then sends nothing more and keeps the connection open.
        case streamThenHang([String])
        /// Reads the request and never answers.
        case hang
    }

    public struct Request {
        public var head: String
        public var body: [String: Any]
        public var messages: [[String: Any]] { body["messages"] as? [[String: Any]] ?? [] }
        /// The `response_format` schema's name, for calls that ask for JSON.
        public var schemaName: String? {
            ((body["response_format"] as? [String: Any])?["json_schema"] as? [String: Any])?["name"] as? String
        }
        /// All message contents, joined: what the model was shown.
        public var prompt: String { messages.compactMap { $0["content"] as? String }.joined(separator: "\n") }
    }

    private let server: LoopbackHTTPServer
    private let log = Log()

    /// What the server was sent and which answers the client cut short, shared with the connections' threads.
    private final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var received: [Request] = []
        private var closedEarly: Set<Int> = []

        var requests: [Request] { lock.withLock { received } }
        func isClosedEarly(_ index: Int) -> Bool { lock.withLock { closedEarly.contains(index) } }
        func noteClosed(_ index: Int) { _ = lock.withLock { closedEarly.insert(index) } }

        /// Notes a request and returns its index.
        func add(_ request: Request) -> Int {
            lock.withLock {
                received.append(request)
                return received.count - 1
            }
        }
    }

    public init(script: @escaping @Sendable (_ index: Int, _ request: Request) -> Behaviour) throws {
        let log = log
        server = try LoopbackHTTPServer { raw, connection in
            let request = Request(head: raw.head, body: (try? JSONSerialization.jsonObject(with: raw.body)) as? [String: Any] ?? [:])
            let index = log.add(request)
            if !Self.play(script(index, request), on: connection) { log.noteClosed(index) }
            return .close
        }
    }

    public var url: URL { URL(string: "http://127.0.0.1:\(server.port)")! }
    public var requests: [Request] { log.requests }
    /// The first request for a follow-up's wording (grading requests ask for a JSON schema).
    public var wordingIndex: Int? { requests.firstIndex { $0.body["response_format"] == nil } }
    /// True once the client closed request `index`'s connection before its answer was complete.
    public func clientClosedEarly(_ index: Int) -> Bool { log.isClosedEarly(index) }

    public func stop() { server.stop() }

    /// Answers as `behaviour` says; false when the client closed the connection before the answer was complete.
    private static func play(_ behaviour: Behaviour, on connection: LoopbackHTTPServer.Connection) -> Bool {
        switch behaviour {
        case .status(let code):
            connection.sendResponse(status: code, body: #"{"error":{"message":"stand-in failure","type":"server_error","code":\#(code)}}"#)
            return true
        case .hang:
            return !connection.waitForClose(seconds: 60)
        case .streamThenHang(let deltas):
            guard startStream(connection), deltas.allSatisfy({ connection.send(chunk($0)) }) else { return false }
            return !connection.waitForClose(seconds: 60)
        case .stream(let deltas, let firstDelay, let between):
            guard startStream(connection) else { return false }
            for (number, delta) in deltas.enumerated() {
                if connection.waitForClose(seconds: number == 0 ? firstDelay : between) || !connection.send(chunk(delta)) {
                    return false
                }
            }
            _ = connection.send(chunk(nil, finish: "stop")) && connection.send("data: [DONE]\n\n")
            return true
        }
    }

    private static func startStream(_ connection: LoopbackHTTPServer.Connection) -> Bool {
        connection.send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")
    }

    public static func chunk(_ content: String?, finish: String? = nil) -> String {
        let delta: [String: Any] = content.map { ["content": $0] } ?? [:]
        let object: [String: Any] = ["object": "chat.completion.chunk",
                                     "choices": [["index": 0, "delta": delta, "finish_reason": finish.map { $0 as Any } ?? NSNull()]]]
        let json = String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
        return "data: \(json)\n\n"
    }
}

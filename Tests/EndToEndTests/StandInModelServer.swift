import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scripted stand-in for an OpenAI-compatible model service on 127.0.0.1: each `POST /v1/chat/completions`
/// gets the behaviour `script` picks for it (a stream of deltas with delays, an error status, a hang), each on its
/// own thread, and the server notes whether the client closed the connection before the answer ended (a cancel).
final class StandInModelServer: @unchecked Sendable {
    enum Behaviour: Sendable {
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

    struct Request {
        var head: String
        var body: [String: Any]
        var messages: [[String: Any]] { body["messages"] as? [[String: Any]] ?? [] }
        /// The `response_format` schema's name, for calls that ask for JSON.
        var schemaName: String? {
            ((body["response_format"] as? [String: Any])?["json_schema"] as? [String: Any])?["name"] as? String
        }
        /// All message contents, joined: what the model was shown.
        var prompt: String { messages.compactMap { $0["content"] as? String }.joined(separator: "\n") }
    }

    private let socketFD: Int32
    private let lock = NSLock()
    private var received: [Request] = []
    private var closedEarly: Set<Int> = []
    private var open: [Int32] = []
    let port: Int
    private let script: @Sendable (_ index: Int, _ request: Request) -> Behaviour

    init(script: @escaping @Sendable (_ index: Int, _ request: Request) -> Behaviour) throws {
        self.script = script
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        socketFD = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var requests: [Request] { lock.withLock { received } }
    /// The first request for a follow-up's wording (grading requests ask for a JSON schema).
    var wordingIndex: Int? { requests.firstIndex { $0.body["response_format"] == nil } }
    /// True once the client closed request `index`'s connection before its answer was complete.
    func clientClosedEarly(_ index: Int) -> Bool { lock.withLock { closedEarly.contains(index) } }

    func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
        for client in lock.withLock({ open }) { shutdown(client, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { return }
            lock.withLock { open.append(client) }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer {
            lock.withLock { open.removeAll { $0 == client } }
            close(client)
        }
        guard let request = readRequest(client) else { return }
        let index: Int = lock.withLock {
            received.append(request)
            return received.count - 1
        }
        switch script(index, request) {
        case .status(let code):
            let body = #"{"error":{"message":"stand-in failure","type":"server_error","code":\#(code)}}"#
            _ = write(client, "HTTP/1.1 \(code) Error\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        case .hang:
            if waitForClose(client, seconds: 60) { noteClosed(index) }
        case .streamThenHang(let deltas):
            guard startStream(client), deltas.allSatisfy({ write(client, Self.chunk($0)) }) else { return noteClosed(index) }
            if waitForClose(client, seconds: 60) { noteClosed(index) }
        case .stream(let deltas, let firstDelay, let between):
            guard startStream(client) else { return noteClosed(index) }
            for (number, delta) in deltas.enumerated() {
                if waitForClose(client, seconds: number == 0 ? firstDelay : between) || !write(client, Self.chunk(delta)) {
                    return noteClosed(index)
                }
            }
            _ = write(client, Self.chunk(nil, finish: "stop")) && write(client, "data: [DONE]\n\n")
        }
    }

    private func noteClosed(_ index: Int) { _ = lock.withLock { closedEarly.insert(index) } }

    private func startStream(_ client: Int32) -> Bool {
        write(client, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")
    }

    static func chunk(_ content: String?, finish: String? = nil) -> String {
        let delta: [String: Any] = content.map { ["content": $0] } ?? [:]
        let object: [String: Any] = ["object": "chat.completion.chunk",
                                     "choices": [["index": 0, "delta": delta, "finish_reason": finish.map { $0 as Any } ?? NSNull()]]]
        let json = String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
        return "data: \(json)\n\n"
    }

    /// Waits up to `seconds` for the client to close; true if it did.
    private func waitForClose(_ client: Int32, seconds: TimeInterval) -> Bool {
        guard seconds > 0 else { return false }
        var descriptor = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(seconds * 1000)) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(client, &byte, 1, Int32(MSG_PEEK)) <= 0
    }

    private func write(_ client: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { send(client, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    private func readRequest(_ client: Int32) -> Request? {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var expected: Int?
        var headEnd: Int?
        while expected.map({ data.count < $0 }) ?? true {
            let count = read(client, &buffer, buffer.count)
            if count <= 0 { return nil }
            data.append(buffer, count: count)
            if headEnd == nil, let range = data.range(of: Data("\r\n\r\n".utf8)) {
                headEnd = range.upperBound
                let head = String(decoding: data[..<range.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                expected = range.upperBound + length
            }
        }
        guard let headEnd else { return nil }
        let body = (try? JSONSerialization.jsonObject(with: Data(data[headEnd...]))) as? [String: Any] ?? [:]
        return Request(head: String(decoding: data[..<headEnd], as: UTF8.self), body: body)
    }
}

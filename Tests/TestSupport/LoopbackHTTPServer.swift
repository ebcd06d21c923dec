import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scripted HTTP/1.1 server on 127.0.0.1, the one stand-in for outside HTTP services in the tests (the model,
/// the transcriber, the engine's own HTTP client's peers): each request goes to `handler` on the connection's own
/// thread, which writes what it likes (a whole response, chunks with pauses, nothing at all) and says whether the
/// connection stays open for the next request.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var head: String
        public var body: Data
        public var path: String { head.split(separator: " ").dropFirst().first.map(String.init) ?? "" }
    }

    public enum After: Sendable {
        case keepOpen, close
    }

    /// One accepted connection, as the handler sees it.
    public final class Connection: @unchecked Sendable {
        let fd: Int32

        init(fd: Int32) { self.fd = fd }

        @discardableResult
        public func send(_ text: String) -> Bool { send(Data(text.utf8)) }

        @discardableResult
        public func send(_ data: Data) -> Bool {
            data.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, data.count, Int32(MSG_NOSIGNAL)) } == data.count
        }

        /// A response head for a chunked body.
        @discardableResult
        public func sendChunkedHead(status: Int = 200, contentType: String = "text/event-stream") -> Bool {
            send("HTTP/1.1 \(status) OK\r\nContent-Type: \(contentType)\r\nTransfer-Encoding: chunked\r\n\r\n")
        }

        @discardableResult
        public func sendChunk(_ text: String) -> Bool { send("\(String(text.utf8.count, radix: 16))\r\n\(text)\r\n") }

        @discardableResult
        public func endChunks() -> Bool { send("0\r\n\r\n") }

        /// A whole response with a `Content-Length`.
        @discardableResult
        public func sendResponse(status: Int, body: String, keepAlive: Bool = false) -> Bool {
            send("HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nContent-Type: application/json\r\n"
                 + "Content-Length: \(body.utf8.count)\r\n\(keepAlive ? "" : "Connection: close\r\n")\r\n\(body)")
        }

        /// Waits up to `seconds` for the client to close the connection; true if it did.
        public func waitForClose(seconds: TimeInterval) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&descriptor, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) > 0 else { continue }
                var byte: UInt8 = 0
                let count = recv(fd, &byte, 1, Int32(MSG_PEEK))
                if count <= 0 { return true }
                guard recv(fd, &byte, 1, 0) == 1 else { return true }  // a client's stray byte: skip it
            }
            return false
        }
    }

    public let port: Int
    private let socketFD: Int32
    private let handler: @Sendable (Request, Connection) -> After
    private let lock = NSLock()
    private var received: [Request] = []
    private var accepted = 0
    private var peakOpen = 0
    private var open: [Int32] = []

    public init(handler: @escaping @Sendable (Request, Connection) -> After) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 128) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        socketFD = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    public func url(_ path: String = "/") -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }
    public var requests: [Request] { lock.withLock { received } }
    public var acceptedConnections: Int { lock.withLock { accepted } }
    /// The most connections that were open at once.
    public var peakOpenConnections: Int { lock.withLock { peakOpen } }

    /// Stops accepting and shuts every open connection down (a handler waiting in `waitForClose` returns).
    public func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
        for client in lock.withLock({ open }) { shutdown(client, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { return }
            lock.withLock {
                accepted += 1
                open.append(client)
                peakOpen = max(peakOpen, open.count)
            }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer {
            lock.withLock { open.removeAll { $0 == client } }
            close(client)
        }
        let connection = Connection(fd: client)
        var pending = Data()
        while let request = readRequest(client, pending: &pending) {
            lock.withLock { received.append(request) }
            guard handler(request, connection) == .keepOpen else { return }
        }
    }

    private func readRequest(_ client: Int32, pending: inout Data) -> Request? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let range = pending.range(of: Data("\r\n\r\n".utf8)) {
                let head = String(decoding: pending[..<range.lowerBound], as: UTF8.self)
                let length = head.lowercased().split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if pending.count - range.upperBound >= length {
                    let body = Data(pending[range.upperBound..<(range.upperBound + length)])
                    pending = Data(pending[(range.upperBound + length)...])
                    return Request(head: head, body: body)
                }
            }
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { return nil }
            pending.append(buffer, count: count)
        }
    }
}

extension LoopbackHTTPServer {
    /// A server that answers every request with `reply`'s status and JSON body, then closes the connection; nil
    /// never answers (the connection stays open until `stop`): a stand-in for the transcription service.
    public static func answering(_ reply: @escaping @Sendable (Request) -> (status: Int, body: String)?) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request, connection in
            if let (status, body) = reply(request) {
                connection.sendResponse(status: status, body: body)
            } else {
                _ = connection.waitForClose(seconds: 600)
            }
            return .close
        }
    }
}

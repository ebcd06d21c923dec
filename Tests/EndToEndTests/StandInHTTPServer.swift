import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers every request with one fixed response (or what `reply` says
/// for it) and remembers what it was sent: a stand-in for outside services (speech to text) in end-to-end tests.
final class StandInHTTPServer: @unchecked Sendable {
    struct Request {
        var head: String
        var body: Data
    }

    /// A status and a JSON body, or nil: never answer (the connection stays open until `stop`).
    typealias Reply = @Sendable (Request) -> (status: Int, body: String)?

    private let socketFD: Int32
    private let lock = NSLock()
    private var received: [Request] = []
    private var unanswered: [Int32] = []
    let port: Int
    let responseBody: String
    private let reply: Reply

    convenience init(responseBody: String) throws {
        try self.init { _ in (200, responseBody) }
    }

    init(reply: @escaping Reply) throws {
        self.reply = reply
        responseBody = ""
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        socketFD = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var requests: [Request] { lock.withLock { received } }

    func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
        for client in lock.withLock({ unanswered }) { close(client) }
    }

    private func serve() {
        while true {
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { return }
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var expected: Int?
            var headEnd: Int?
            while expected.map({ data.count < $0 }) ?? true {
                let count = read(client, &buffer, buffer.count)
                if count <= 0 { break }
                data.append(buffer, count: count)
                if headEnd == nil, let range = data.range(of: Data("\r\n\r\n".utf8)) {
                    headEnd = range.upperBound
                    let head = String(decoding: data[..<range.lowerBound], as: UTF8.self).lowercased()
                    let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                        .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                    expected = range.upperBound + length
                }
            }
            let request = Request(head: String(decoding: data[..<(headEnd ?? data.endIndex)], as: UTF8.self),
                                  body: headEnd.map { Data(data[$0...]) } ?? Data())
            if headEnd != nil { lock.withLock { received.append(request) } }
            guard let (status, body) = reply(request) else {
                lock.withLock { unanswered.append(client) }
                continue
            }
            let text = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = text.withCString { write(client, $0, strlen($0)) }
            close(client)
        }
    }
}

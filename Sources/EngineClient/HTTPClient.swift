import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
/// A peer that hung up makes `send` fail with EPIPE instead of killing the process with SIGPIPE.
private let sendFlags = Int32(MSG_NOSIGNAL)
#else
import Darwin
private let streamSocket = SOCK_STREAM
private let sendFlags: Int32 = 0  // Darwin has no MSG_NOSIGNAL: SO_NOSIGPIPE is set on the socket instead
#endif

/// A small blocking HTTP/1.1 client, plain or over TLS, one request per connection: the engine's API for bots and
/// tests, and chromedriver's WebDriver API for the browser tests.
///
/// It speaks HTTP itself instead of going through URLSession: FoundationNetworking on Linux refuses header lines
/// without a space after the colon (`Content-Length:250`), which chromedriver writes.
public struct HTTPClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var body: Data
        /// Header names in lower case; repeated headers joined with ", ".
        public var headers: [String: String]

        /// The body as a JSON object (empty when it is not one).
        public var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }
    }

    public enum ClientError: Error, CustomStringConvertible {
        case transport(String)
        public var description: String {
            switch self {
            case .transport(let message): "HTTP request failed: \(message)"
            }
        }
    }

    public let baseURL: URL

    public init(baseURL: URL) {
        self.baseURL = baseURL
    }

    /// Sends a request; `body` is encoded as JSON when it is a dictionary, sent as is when it is `Data`.
    public func send(_ method: String, _ path: String, body: Any? = nil, token: String? = nil,
                     headers: [String: String] = [:], timeout: TimeInterval = 30) throws -> Response {
        let url = baseURL.appendingPathComponent(path)
        guard let scheme = url.scheme, scheme == "http" || scheme == "https", let host = url.host else {
            throw ClientError.transport("not an http:// or https:// URL: \(url.absoluteString)")
        }
        var payload: Data?
        if let data = body as? Data {
            payload = data
        } else if let body {
            payload = try JSONSerialization.data(withJSONObject: body)
        }
        var fields: [(String, String)] = [("Host", url.port.map { "\(host):\($0)" } ?? host), ("Connection", "close")]
        if !headers.keys.contains(where: { $0.lowercased() == "accept" }) { fields.append(("Accept", "*/*")) }
        if let token { fields.append(("Authorization", "Bearer \(token)")) }
        if payload != nil, !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            fields.append(("Content-Type", "application/json"))
        }
        fields += headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let payload { fields.append(("Content-Length", String(payload.count))) }
        else if method != "GET" && method != "HEAD" { fields.append(("Content-Length", "0")) }

        let target = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? ""
        var request = Data("\(method) \(target.isEmpty ? "/" : target) HTTP/1.1\r\n".utf8)
        for (name, value) in fields { request.append(Data("\(name): \(value)\r\n".utf8)) }
        request.append(Data("\r\n".utf8))
        if let payload { request.append(payload) }

        let connection = try Connection(host: host, port: url.port ?? (scheme == "https" ? 443 : 80),
                                        tls: scheme == "https", timeout: timeout)
        defer { connection.finish() }
        try connection.write(request)
        // Connection: close, so the answer ends at its length or, without one, where the server hangs up.
        var received = Data()
        while true {
            if let response = Self.parse(received, bodyless: method == "HEAD", complete: false) { return response }
            let chunk = try connection.read()
            if chunk.isEmpty { break }
            received.append(chunk)
        }
        guard let response = Self.parse(received, bodyless: method == "HEAD", complete: true) else {
            throw ClientError.transport("\(method) \(url.absoluteString): the connection closed before a complete answer")
        }
        return response
    }

    /// `send` for async callers: the blocking request runs on a dispatch thread, not on one of the few threads of
    /// the concurrency pool. (Not an overload of `send`: async callers of the blocking one would silently switch.)
    public func perform(_ method: String, _ path: String, body: Any? = nil, token: String? = nil,
                        headers: [String: String] = [:], timeout: TimeInterval = 30) async throws -> Response {
        let box = UncheckedBody(body)
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try self.send(method, path, body: box.value, token: token, headers: headers, timeout: timeout)
                })
            }
        }
    }

    /// Signs in and returns the bearer token.
    public func login(email: String, password: String) throws -> String? {
        let response = try send("POST", "v1/login", body: ["email": email, "password": password])
        return response.status == 200 ? response.json["token"] as? String : nil
    }

    /// The response once its head and whole body are in `data`; nil while more is needed. With `complete` (the
    /// server closed), a body without a length is everything after the head.
    static func parse(_ data: Data, bodyless: Bool, complete: Bool) -> Response? {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        let body = Data(data[end.upperBound...])
        if bodyless || status == 204 || status == 304 || (100..<200).contains(status) {
            return Response(status: status, body: Data(), headers: headers)
        }
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            return dechunked(body).map { Response(status: status, body: $0, headers: headers) }
        }
        if let length = headers["content-length"].flatMap({ Int($0) }) {
            return body.count >= length ? Response(status: status, body: Data(body.prefix(length)), headers: headers) : nil
        }
        return complete ? Response(status: status, body: body, headers: headers) : nil
    }

    /// A chunked body put together; nil until its last (empty) chunk has arrived.
    static func dechunked(_ body: Data) -> Data? {
        var result = Data()
        var offset = body.startIndex
        let lineEnd = Data("\r\n".utf8)
        while let sizeEnd = body.range(of: lineEnd, in: offset..<body.endIndex) {
            let sizeText = String(decoding: body[offset..<sizeEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else { return nil }
            if size == 0 { return result }
            let start = sizeEnd.upperBound
            guard body.distance(from: start, to: body.endIndex) >= size + 2 else { return nil }
            result.append(body[start..<body.index(start, offsetBy: size)])
            offset = body.index(start, offsetBy: size + 2)
        }
        return nil
    }
}

/// A request body crosses to the worker thread untouched: it is JSON-like data or `Data`, never shared mutable state.
private struct UncheckedBody: @unchecked Sendable {
    let value: Any?
    init(_ value: Any?) { self.value = value }
}

/// One TCP connection, with TLS on top for https (OpenSSL, verifying the certificate and host name against the
/// system's trusted authorities).
private final class Connection {
    private let descriptor: Int32
    private var context: OpaquePointer?
    private var tls: OpaquePointer?
    private let timeout: TimeInterval

    init(host: String, port: Int, tls useTLS: Bool, timeout: TimeInterval) throws {
        self.timeout = timeout
        descriptor = try Self.dial(host: host, port: port, timeout: timeout)
        guard useTLS else { return }
        do {
            try startTLS(host: host)
        } catch {
            finish()
            throw error
        }
    }

    private static func dial(host: String, port: Int, timeout: TimeInterval) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamSocket
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let first = found else {
            throw HTTPClient.ClientError.transport("cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(first) }
        var problem = "no address"
        for candidate in sequence(first: first, next: { $0.pointee.ai_next }) {
            let descriptor = socket(candidate.pointee.ai_family, candidate.pointee.ai_socktype, candidate.pointee.ai_protocol)
            guard descriptor >= 0 else { continue }
            // Connect without blocking, so an unreachable host costs `timeout`, not the kernel's minutes.
            let flags = fcntl(descriptor, F_GETFL)
            _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
            var outcome = connect(descriptor, candidate.pointee.ai_addr, candidate.pointee.ai_addrlen) == 0 ? 0 : errno
            if outcome == EINPROGRESS {
                var waiting = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                if poll(&waiting, 1, Int32(timeout * 1000)) == 1 {
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &outcome, &length)
                } else {
                    outcome = ETIMEDOUT
                }
            }
            guard outcome == 0 else {
                problem = String(cString: strerror(outcome))
                close(descriptor)
                continue
            }
            _ = fcntl(descriptor, F_SETFL, flags)
            var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            #if !canImport(Glibc)
            var on: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
            #endif
            return descriptor
        }
        throw HTTPClient.ClientError.transport("cannot connect to \(host):\(port): \(problem)")
    }

    private func startTLS(host: String) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw tlsError("no TLS context") }
        self.context = context
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard SSL_CTX_set_default_verify_paths(context) == 1, let tls = SSL_new(context) else {
            throw tlsError("no trusted certificates")
        }
        self.tls = tls
        SSL_set_fd(tls, descriptor)
        // The server name for virtual hosting (SNI), and the name the certificate must carry.
        _ = host.withCString { SSL_ctrl(tls, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
        guard SSL_set1_host(tls, host) == 1, SSL_connect(tls) == 1 else { throw tlsError("TLS handshake with \(host) failed") }
    }

    private func tlsError(_ what: String) -> HTTPClient.ClientError {
        let reason = ERR_reason_error_string(ERR_get_error()).map { String(cString: $0) } ?? "no reason given"
        return .transport("\(what): \(reason)")
    }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let pointer = buffer.baseAddress! + offset
                let written = tls.map { Int(SSL_write($0, pointer, Int32(buffer.count - offset))) }
                    ?? send(descriptor, pointer, buffer.count - offset, sendFlags)
                guard written > 0 else { throw HTTPClient.ClientError.transport("sending failed: \(String(cString: strerror(errno)))") }
                offset += written
            }
        }
    }

    /// The next bytes; empty when the server closed the connection.
    func read() throws -> Data {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = tls.map { Int(SSL_read($0, &chunk, Int32(chunk.count))) } ?? recv(descriptor, &chunk, chunk.count, 0)
        if count > 0 { return Data(chunk[0..<count]) }
        // A TLS peer may hang up without a close_notify: an end of file as well.
        if count == 0 || tls.map({ [SSL_ERROR_ZERO_RETURN, SSL_ERROR_SYSCALL].contains(SSL_get_error($0, Int32(count))) && errno == 0 }) == true {
            return Data()
        }
        throw HTTPClient.ClientError.transport("no complete answer within \(Int(timeout)) s")
    }

    func finish() {
        if let tls {
            SSL_shutdown(tls)
            SSL_free(tls)
            self.tls = nil
        }
        if let context {
            SSL_CTX_free(context)
            self.context = nil
        }
        close(descriptor)
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The W3C WebDriver protocol over HTTP, just as much of it as these tests use, spoken to chromedriver.
///
/// The HTTP is done by `PlainHTTP` rather than URLSession: chromedriver writes its header lines without a space after
/// the colon (`Content-Length:250`), and FoundationNetworking on Linux rejects such a response ("Failed writing
/// header").
struct WebDriver: Sendable {
    /// A WebDriver error answer (`value.error`, `value.message`) or a transport problem.
    struct Failure: Error, CustomStringConvertible {
        var error: String
        var message: String
        var description: String { "WebDriver \(error): \(message)" }
    }

    /// The key that holds an element reference in WebDriver JSON.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// chromedriver's port on 127.0.0.1.
    let port: Int

    /// Sends one command and returns its `value`.
    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]? = nil, timeout: TimeInterval = 60) async throws -> Any? {
        var payload: Data?
        if let body {
            payload = try JSONSerialization.data(withJSONObject: body)
        } else if method == "POST" {
            payload = Data("{}".utf8)
        }
        let response = try await PlainHTTP.send(method: method, port: port, path: "/" + path, body: payload, timeout: timeout)
        let json = (try? JSONSerialization.jsonObject(with: response.body, options: [.fragmentsAllowed])) as? [String: Any]
        guard response.status == 200 else {
            let value = json?["value"] as? [String: Any]
            throw Failure(error: value?["error"] as? String ?? "http \(response.status)",
                          message: value?["message"] as? String ?? String(decoding: response.body.prefix(500), as: UTF8.self))
        }
        return json?["value"] ?? nil
    }

    /// Starts a browser; returns its session.
    func newSession(chromeArguments: [String], mobileEmulation: [String: Any]? = nil) async throws -> BrowserSession {
        var chromeOptions: [String: Any] = ["binary": ChromeDriver.chromiumPath, "args": chromeArguments]
        if let mobileEmulation { chromeOptions["mobileEmulation"] = mobileEmulation }
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": chromeOptions,
            "goog:loggingPrefs": ["browser": "ALL"],
            "timeouts": ["script": 30_000, "pageLoad": 30_000, "implicit": 0],
        ] as [String: Any]]]
        let value = try await command("POST", "session", capabilities, timeout: 90) as? [String: Any]
        guard let id = value?["sessionId"] as? String else {
            throw Failure(error: "no session", message: "chromedriver answered without a session id: \(String(describing: value))")
        }
        return BrowserSession(driver: self, id: id)
    }
}

/// One browser window driven through WebDriver.
struct BrowserSession: Sendable {
    let driver: WebDriver
    let id: String

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await driver.command(method, "session/\(id)/\(path)", body)
    }

    func navigate(to url: URL) async throws {
        try await command("POST", "url", ["url": url.absoluteString])
    }

    /// Runs `script` as the body of a function in the page; `arguments[0…]` are `arguments`.
    @discardableResult
    func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command("POST", "execute/sync", ["script": script, "args": arguments])
    }

    /// Runs `script` with a callback as its last argument; the value passed to the callback is returned.
    @discardableResult
    func executeAsync(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command("POST", "execute/async", ["script": script, "args": arguments])
    }

    /// The element matching a CSS selector, now (no waiting).
    func element(_ selector: String) async throws -> String {
        let value = try await command("POST", "element", ["using": "css selector", "value": selector]) as? [String: Any]
        guard let reference = value?[WebDriver.elementKey] as? String else {
            throw WebDriver.Failure(error: "no such element", message: selector)
        }
        return reference
    }

    func click(element: String) async throws {
        try await command("POST", "element/\(element)/click")
    }

    func sendKeys(element: String, _ text: String) async throws {
        try await command("POST", "element/\(element)/value", ["text": text])
    }

    func clear(element: String) async throws {
        try await command("POST", "element/\(element)/clear")
    }

    func text(element: String) async throws -> String {
        try await command("GET", "element/\(element)/text") as? String ?? ""
    }

    /// A PNG of the viewport.
    func screenshot() async throws -> Data {
        let base64 = try await command("GET", "screenshot") as? String ?? ""
        return Data(base64Encoded: base64) ?? Data()
    }

    func setWindowSize(width: Int, height: Int) async throws {
        try await command("POST", "window/rect", ["width": width, "height": height])
    }

    /// Presses keys through the actions API (key names as WebDriver code points, e.g. "\u{E004}" for Tab).
    func press(_ keys: [String]) async throws {
        var actions: [[String: Any]] = []
        for key in keys {
            actions.append(["type": "keyDown", "value": key])
            actions.append(["type": "keyUp", "value": key])
        }
        try await command("POST", "actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
        try await command("DELETE", "actions")
    }

    /// The browser console since the last call (chromedriver's log endpoint).
    func consoleLog() async throws -> [[String: Any]] {
        try await command("POST", "se/log", ["type": "browser"]) as? [[String: Any]] ?? []
    }

    func quit() async {
        _ = try? await driver.command("DELETE", "session/\(id)", timeout: 30)
    }
}

/// WebDriver key code points.
enum Key {
    static let tab = "\u{E004}"
    static let enter = "\u{E007}"
}

/// Blocking HTTP/1.1 over a TCP socket to 127.0.0.1, one request per connection, run off the concurrency pool.
enum PlainHTTP {
    struct Response {
        var status: Int
        var body: Data
    }

    static func send(method: String, port: Int, path: String, body: Data?, timeout: TimeInterval) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try sendBlocking(method: method, port: port, path: path, body: body, timeout: timeout) })
            }
        }
    }

    static func sendBlocking(method: String, port: Int, path: String, body: Data?, timeout: TimeInterval) throws -> Response {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw WebDriver.Failure(error: "socket", message: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            throw WebDriver.Failure(error: "connect", message: "127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var request = Data("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nAccept: application/json\r\n".utf8)
        if let body {
            request.append(Data("Content-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\n".utf8))
        }
        request.append(Data("\r\n".utf8))
        if let body { request.append(body) }
        try request.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                guard written > 0 else { throw WebDriver.Failure(error: "send", message: String(cString: strerror(errno))) }
                offset += written
            }
        }
        // Read to the end: the request asked the server to close the connection after the response.
        var received = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count == 0 { break }
            guard count > 0 else {
                throw WebDriver.Failure(error: "timeout", message: "\(method) \(path): no complete answer within \(Int(timeout)) s")
            }
            received.append(contentsOf: chunk[0..<count])
            if let response = parse(received) { return response }
        }
        guard let response = parse(received, complete: true) else {
            throw WebDriver.Failure(error: "http", message: "\(method) \(path): an unreadable answer")
        }
        return response
    }

    /// The response once its headers and `Content-Length` bytes of body are in; nil while more is needed.
    static func parse(_ data: Data, complete: Bool = false) -> Response? {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var length: Int?
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == "content-length" {
                length = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }
        let body = data[end.upperBound...]
        if let length {
            return body.count >= length ? Response(status: status, body: Data(body.prefix(length))) : nil
        }
        return complete ? Response(status: status, body: Data(body)) : nil
    }
}

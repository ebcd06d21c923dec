import EngineClient
import Foundation

/// The W3C WebDriver protocol over HTTP, just as much of it as these tests use, spoken to chromedriver.
struct WebDriver: Sendable {
    /// A WebDriver error answer (`value.error`, `value.message`) or a transport problem.
    struct Failure: Error, CustomStringConvertible {
        var error: String
        var message: String
        var description: String { "WebDriver \(error): \(message)" }
    }

    /// The key that holds an element reference in WebDriver JSON.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// chromedriver on 127.0.0.1.
    let http: HTTPClient

    init(port: Int) {
        http = HTTPClient(baseURL: URL(string: "http://127.0.0.1:\(port)/")!)
    }

    /// Sends one command and returns its `value`.
    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]? = nil, timeout: TimeInterval = 60) async throws -> Any? {
        // POST commands without parameters still send an empty JSON object, as the protocol asks.
        let payload: Any? = body ?? (method == "POST" ? Data("{}".utf8) : nil)
        let response = try await http.perform(method, path, body: payload, timeout: timeout)
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

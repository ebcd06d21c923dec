import Foundation

/// An HTTP request as the API handlers see it: everything copied out of libwebsockets, safe to use on any thread.
struct HTTPRequest: Sendable {
    var method: String
    var path: String
    var authorization: String?
    var cookie: String?
    var body = Data()
    /// The `Origin` header (browsers send it on cross-origin and unsafe requests).
    var origin: String? = nil
    /// The `Host` header.
    var host: String? = nil
    /// The payment processor's `Jestry-Signature` header on webhooks.
    var webhookSignature: String? = nil
    /// The client's IP address as the socket reports it, for rate limits.
    var peerAddress: String? = nil
    /// The port this server listens on, for telling its own origins.
    var serverPort: Int = 0
    /// The `Range` header (a video's playback asks for parts of it).
    var range: String? = nil
    /// The `Content-Length` header's value; 0 when absent.
    var declaredContentLength: Int = 0

    /// Requests the service loop hands to a handler as soon as their headers are in (no body is awaited): the same
    /// rule as `ServiceLoop.httpRequestStarted`.
    var isDispatchedBeforeBody: Bool { declaredContentLength == 0 || method == "GET" || method == "HEAD" }

    /// True when the credentials came from the cookie rather than an `Authorization: Bearer` header: only then can
    /// a browser have attached them on another site's behalf.
    var usesCookieCredentials: Bool {
        Credentials.token(authorization: authorization, cookie: nil) == nil && bearerToken != nil
    }

    /// The bearer token from `Authorization: Bearer …` or the session cookie.
    var bearerToken: String? { Credentials.token(authorization: authorization, cookie: cookie) }
}

/// An HTTP response; bodies are JSON unless it is a static file.
struct HTTPResponse: Sendable, Error {
    var status: UInt32
    var contentType = "application/json"
    var body: Data
    var headers: [(name: String, value: String)] = []
    /// Close the connection after this response (the request body was not read).
    var closeConnection = false

    static func json(_ status: UInt32, _ value: some Encodable) -> HTTPResponse {
        HTTPResponse(status: status, body: (try? JSONCoding.encoder.encode(value)) ?? Data("{}".utf8))
    }

    /// The error shape every endpoint uses: `{"error": {"code": "…", "message": "…"}}`.
    static func error(_ status: UInt32, _ code: String, _ message: String) -> HTTPResponse {
        json(status, ["error": ["code": code, "message": message]])
    }

    /// 405 with the `Allow` header RFC 9110 asks for.
    static func methodNotAllowed(_ method: String, _ path: String, allow: String) -> HTTPResponse {
        var response = HTTPResponse.error(405, "method_not_allowed", "\(method) is not supported on \(path); use \(allow).")
        response.headers.append((name: "allow:", value: allow))
        return response
    }
}

enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}

/// Where a client's token comes from.
enum Credentials {
    static let cookieName = "jestry_session"

    static func token(authorization: String?, cookie: String?) -> String? {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingCharacters(in: .whitespaces)
                return token.isEmpty ? nil : token
            }
        }
        guard let cookie else { return nil }
        for pair in cookie.split(separator: ";") {
            let item = pair.trimmingCharacters(in: .whitespaces)
            if item.hasPrefix(cookieName + "=") {
                let token = String(item.dropFirst(cookieName.count + 1))
                return token.isEmpty ? nil : token
            }
        }
        return nil
    }
}

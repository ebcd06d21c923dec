import Foundation

/// Answers for requests that libwebsockets' HTTP parser refused before any callback saw them, written as raw bytes
/// on the fallback socket. Pure, so the answers are unit-tested without a server.
enum UnparsedRequest {
    /// 405 with `Allow` for a well-formed request line whose method the server does not implement; 400 otherwise.
    static func response(for bytes: Data, allowedMethods: (String) -> String?) -> HTTPResponse {
        let firstLine = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = firstLine.split(separator: " ", omittingEmptySubsequences: false)
        var response: HTTPResponse
        if parts.count == 3, parts[2].hasPrefix("HTTP/1."), isToken(parts[0]), parts[1].hasPrefix("/") {
            let path = String(parts[1].prefix { $0 != "?" })
            if let allow = allowedMethods(path) {
                response = .methodNotAllowed(String(parts[0].prefix(32)), String(path.prefix(256)), allow: allow)
            } else {
                response = .error(404, "not_found", "There is no API endpoint \(path.prefix(256)).")
            }
        } else {
            response = .error(400, "bad_request", "This is not an HTTP/1.1 request the engine can read.")
        }
        response.closeConnection = true
        return response
    }

    /// RFC 9110 §5.6.2: a method is a token.
    static func isToken(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

extension HTTPResponse {
    /// The whole response as bytes, status line included, for where lws's header helpers cannot be used: a
    /// connection that fell back to a raw socket, and a refused WebSocket upgrade (where they write `HTTP/1.0`).
    func wireBytes() -> Data {
        let reasons: [UInt32: String] = [400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                                         405: "Method Not Allowed", 429: "Too Many Requests", 503: "Service Unavailable"]
        var head = "HTTP/1.1 \(status) \(reasons[status] ?? "Error")\r\n"
        head += "content-type: \(contentType)\r\ncontent-length: \(body.count)\r\n"
        for header in headers { head += "\(header.name) \(header.value)\r\n" }
        head += "connection: close\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\n\r\n"
        return Data(head.utf8) + body
    }
}

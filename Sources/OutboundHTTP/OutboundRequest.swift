import Foundation

/// One request to an outside service (a model, a transcriber): what is sent and the bounds on what comes back.
///
/// Its description shows the method and the URL only, never a header or the body: the bearer token lives in a
/// header, so a request can be logged without leaking it.
public struct OutboundRequest: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    public var method: Method
    /// `http` or `https` only; redirects are not followed.
    public var url: URL
    /// Sent as they are, in order. Use `bearerToken` for a key rather than an `Authorization` header of your own.
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// Sent as `Authorization: Bearer …`, the only place a key goes (never the URL, never a log).
    public var bearerToken: String?
    public var limits: OutboundLimits

    public init(method: Method, url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil,
                bearerToken: String? = nil, limits: OutboundLimits) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bearerToken = bearerToken
        self.limits = limits
    }

    public var description: String { "\(method.rawValue) \(url.absoluteString)" }
    public var debugDescription: String { description }
}

/// The bounds of one transfer. Each ends it with `OutboundFailure.timedOut` or `.responseTooLarge`.
public struct OutboundLimits: Sendable, Equatable {
    /// The whole exchange, from the start to the last byte of the response.
    public var total: TimeInterval
    /// From the start to the first byte of the response (connecting and sending the request included): a server
    /// that accepts and never answers.
    public var firstByte: TimeInterval?
    /// The longest silence once the response has begun: a stream that hangs half way.
    public var idle: TimeInterval?
    /// Bytes of response body; past it the transfer is cut off.
    public var maxResponseBytes: Int

    public init(total: TimeInterval, firstByte: TimeInterval? = nil, idle: TimeInterval? = nil, maxResponseBytes: Int) {
        self.total = total
        self.firstByte = firstByte
        self.idle = idle
        self.maxResponseBytes = maxResponseBytes
    }
}

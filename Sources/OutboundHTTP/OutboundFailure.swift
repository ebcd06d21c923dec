import Foundation

/// Why a transfer ended without a whole response. An HTTP error status is not a failure: it is a response.
public enum OutboundFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// `OutboundTransfer.cancel` came first.
    case cancelled
    /// The client was shut down with the transfer under way (or before it was started).
    case shutDown
    /// The client already had its limit of transfers under way; nothing was sent.
    case busy(limit: Int)
    /// One of the request's time limits passed.
    case timedOut(OutboundTimeout)
    /// The response body passed `OutboundLimits.maxResponseBytes`; the connection was closed.
    case responseTooLarge(limit: Int)
    /// The receiver asked to stop (`OutboundDisposition.stop`); the connection was closed.
    case stopped
    /// No connection: the name did not resolve, or the server refused or could not be reached.
    case couldNotConnect(String)
    /// Anything else the transport reported (a connection lost half way, TLS, a malformed response).
    case transport(String)

    public var description: String {
        switch self {
        case .cancelled: "cancelled"
        case .shutDown: "the HTTP client was shut down"
        case .busy(let limit): "too many requests under way (\(limit))"
        case .timedOut(let timeout): "\(timeout)"
        case .responseTooLarge(let limit): "the response passed \(limit) bytes"
        case .stopped: "stopped by the receiver"
        case .couldNotConnect(let detail): "could not connect: \(detail)"
        case .transport(let detail): "transport failure: \(detail)"
        }
    }
}

/// Which time limit ended a transfer, and its length in seconds.
public enum OutboundTimeout: Sendable, Equatable, CustomStringConvertible {
    case firstByte(TimeInterval)
    case idle(TimeInterval)
    case total(TimeInterval)

    public var description: String {
        switch self {
        case .firstByte(let seconds): "no response within \(seconds) s"
        case .idle(let seconds): "the response stalled for \(seconds) s"
        case .total(let seconds): "no complete response within \(seconds) s"
        }
    }
}

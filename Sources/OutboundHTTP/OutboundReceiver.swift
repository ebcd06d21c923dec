import Foundation

/// What the receiver of a streamed response wants after each part of it.
public enum OutboundDisposition: Sendable {
    case proceed
    /// End the transfer now (its connection is closed); `finished` follows with `.stopped`.
    case stop
}

/// Receives one transfer's response as it streams. The client calls it on its own I/O thread, one call at a time
/// and in order: `headReceived` at most once, `bodyReceived` for each piece after it, then `finished` exactly once
/// (also after a cancel, a time limit or shut-down). It must return quickly and never wait for another transfer:
/// every transfer of the client shares that thread. Calling the client (`start`, `cancel`) from here is fine.
public protocol OutboundReceiver: AnyObject, Sendable {
    func headReceived(status: Int) -> OutboundDisposition
    func bodyReceived(_ chunk: Data) -> OutboundDisposition
    func finished(_ result: Result<Void, OutboundFailure>)
}

/// A whole response: its status and body (an error status is a response too).
public struct OutboundResponse: Sendable, Equatable {
    public var status: Int
    public var body: Data

    public init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
}

/// Collects the body for `OutboundHTTPClient.send`; touched only on the client's thread.
final class CollectingReceiver: OutboundReceiver, @unchecked Sendable {
    private let completion: @Sendable (Result<OutboundResponse, OutboundFailure>) -> Void
    private var response = OutboundResponse(status: 0, body: Data())

    init(completion: @escaping @Sendable (Result<OutboundResponse, OutboundFailure>) -> Void) {
        self.completion = completion
    }

    func headReceived(status: Int) -> OutboundDisposition {
        response.status = status
        return .proceed
    }

    func bodyReceived(_ chunk: Data) -> OutboundDisposition {
        response.body.append(chunk)
        return .proceed
    }

    func finished(_ result: Result<Void, OutboundFailure>) {
        completion(result.map { response })
    }
}

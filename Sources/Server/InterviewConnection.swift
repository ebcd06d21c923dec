import Foundation
import Interview

/// One interview WebSocket: its state machine, the frame being assembled and the frames waiting to be sent.
/// Lives on the service thread only.
final class InterviewConnection {
    let wsi: OpaquePointer
    let accountID: String
    var machine: InterviewStateMachine

    /// Fragments of the message being received.
    var incoming = Data()
    var incomingIsBinary = false
    var assembling = false

    /// Text frames waiting for a writeable callback, oldest first.
    private(set) var outgoing: [Data] = []
    /// Set when the session is over: close with this code once `outgoing` is empty.
    var closeAfterFlush: (code: UInt16, reason: String)?

    init(wsi: OpaquePointer, accountID: String, settings: InterviewStateMachine.Settings) {
        self.wsi = wsi
        self.accountID = accountID
        machine = InterviewStateMachine(settings: settings)
    }

    func enqueue(_ frame: Data) { outgoing.append(frame) }

    func dequeue() -> Data? { outgoing.isEmpty ? nil : outgoing.removeFirst() }

    var hasPendingOutput: Bool { !outgoing.isEmpty || closeAfterFlush != nil }
}

/// One HTTP request in flight on a connection.
final class HTTPExchange {
    let id: UInt64
    var request: HTTPRequest
    /// The response, once known; written in the next writeable callbacks.
    var response: HTTPResponse?
    var headersSent = false

    init(id: UInt64, request: HTTPRequest) {
        self.id = id
        self.request = request
    }
}

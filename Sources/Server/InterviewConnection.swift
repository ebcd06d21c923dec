import Audio
import Foundation
import Interview

/// One interview WebSocket: its state machine, the frame being assembled and the frames waiting to be sent.
/// Lives on the service thread only.
final class InterviewConnection {
    /// Unique for the server's lifetime: work that comes back later finds its connection by this, never by the
    /// `wsi` pointer, which libwebsockets may reuse for a newer connection.
    let serial: UInt64
    let wsi: OpaquePointer
    let accountID: String
    var machine: InterviewStateMachine
    /// Proof a later connection must show to take this session back; kept only in memory.
    var resumeToken: String?

    /// Fragments of the message being received.
    var incoming = Data()
    var incomingIsBinary = false
    var assembling = false

    /// Text frames waiting for a writeable callback, oldest first.
    private(set) var outgoing: [Data] = []
    /// Set when the session is over: close with this code once `outgoing` is empty.
    var closeAfterFlush: (code: UInt16, reason: String)?
    /// Voice sessions only.
    var detector: VoiceActivityDetector?
    /// Only when the candidate consented to recording.
    var recorder: SessionRecorder?
    /// Audio since the last stretch of speech was sent to the engine's transcriber (only when one is configured).
    var speechBuffer = Data()
    var speechBufferStartMs: Int64 = 0

    init(serial: UInt64, wsi: OpaquePointer, accountID: String, settings: InterviewStateMachine.Settings) {
        self.serial = serial
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

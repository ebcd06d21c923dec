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
    /// The client's address, for the per-address connection limit.
    let address: String
    var machine: InterviewStateMachine
    /// Proof a later connection must show to take this session back; kept only in memory.
    var resumeToken: String?

    /// Fragments of the message being received.
    var incoming = Data()
    var incomingIsBinary = false
    var assembling = false

    /// Text frames waiting for a writeable callback, oldest first, and their total size (bounded by
    /// `maxQueuedBytes`: a client that does not read cannot make the server hold more).
    private(set) var outgoing: [Data] = []
    private var outgoingStart = 0
    private(set) var queuedBytes = 0
    let maxQueuedBytes: Int
    /// Set when the session is over: close with this code once `outgoing` is empty.
    var closeAfterFlush: (code: UInt16, reason: String)?
    /// Set when an event did not fit in the queue: the connection is being closed for not reading.
    var outputOverflowed = false
    /// Set when the connection must not be parked for resume when it closes (its sign-in was revoked).
    var endsWithoutResume = false
    /// Messages this connection may still send (text frames, and binary frames where no audio is expected).
    var messageBudget: MessageBudget
    /// Voice sessions only.
    var detector: VoiceActivityDetector?
    /// Only when the candidate consented to recording.
    var recorder: SessionRecorder?
    /// Audio since the last stretch of speech was sent to the engine's transcriber (only when one is configured).
    var speechBuffer = Data()
    var speechBufferStartMs: Int64 = 0

    init(serial: UInt64, wsi: OpaquePointer, accountID: String, address: String, settings: InterviewStateMachine.Settings,
         openedAt: ClockReading, maxQueuedBytes: Int, messageLimit: RateLimit) {
        self.serial = serial
        self.wsi = wsi
        self.accountID = accountID
        self.address = address
        self.maxQueuedBytes = maxQueuedBytes
        messageBudget = MessageBudget(messageLimit)
        machine = InterviewStateMachine(settings: settings, openedAt: openedAt)
    }

    /// Queues a frame; false (and nothing queued) when it would take the queue past `maxQueuedBytes`.
    func enqueue(_ frame: Data) -> Bool {
        guard queuedBytes + frame.count <= maxQueuedBytes else { return false }
        outgoing.append(frame)
        queuedBytes += frame.count
        return true
    }

    func dequeue() -> Data? {
        guard outgoingStart < outgoing.count else { return nil }
        let frame = outgoing[outgoingStart]
        outgoingStart += 1
        queuedBytes -= frame.count
        // Compact now and then instead of `removeFirst` (O(n) per frame).
        if outgoingStart == outgoing.count {
            outgoing.removeAll(keepingCapacity: true)
            outgoingStart = 0
        } else if outgoingStart >= 64 {
            outgoing.removeFirst(outgoingStart)
            outgoingStart = 0
        }
        return frame
    }

    var hasPendingOutput: Bool { outgoingStart < outgoing.count || closeAfterFlush != nil }
}

/// One HTTP request in flight on a connection.
final class HTTPExchange {
    let id: UInt64
    var request: HTTPRequest
    /// The response, once known; written in the next writeable callbacks.
    var response: HTTPResponse?
    var headersSent = false
    /// When the headers arrived (monotonic ms): the body must follow within the configured deadline.
    let startedMs: Int64

    init(id: UInt64, request: HTTPRequest, startedMs: Int64) {
        self.id = id
        self.request = request
        self.startedMs = startedMs
    }
}

import Audio
import CWebSockets
import Foundation
import Interview
import Model

/// One interview WebSocket: its state machine, the frame being assembled and the frames waiting to be sent.
///
/// Lives on one service thread; a parked one belongs to the `SessionRegistry` until a resume or an expiry takes it
/// (then to the taker's thread), which is why it may cross threads at all.
final class InterviewConnection: @unchecked Sendable {
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
    private var incoming = Data()
    private var incomingIsBinary = false
    private(set) var assembling = false
    /// The deadline filed for this connection in its thread's `DeadlineQueue`.
    var deadlineMs: Int64?

    /// Text frames waiting for a writeable callback, oldest first, and their total size (bounded by
    /// `maxQueuedBytes`: a client that does not read cannot make the server hold more).
    private(set) var outgoing: [Data] = []
    private var outgoingStart = 0
    private(set) var queuedBytes = 0
    let maxQueuedBytes: Int
    /// Set when the session is over: close with this code once `outgoing` is empty.
    var closeAfterFlush: (code: UInt16, reason: String)?
    /// The upgrade request came with an unmasked frame, which lws had read before the check could keep it out: the
    /// connection closes with 1002, and none of its frames is acted on.
    var ignoresFrames = false
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
    /// The started session's mode, for the live-sessions gauge.
    var sessionMode: InterviewMode?
    /// When the candidate's last turn ended (`DispatchTime` ns), until the next question is queued: the turn latency.
    var turnEndedNs: UInt64?
    /// Audio since the last stretch of speech was sent to the engine's transcriber (only when one is configured).
    var speechBuffer = Data()
    var speechBufferStartMs: Int64 = 0
    /// Model calls in flight for this connection's machine, by request id, for `cancelModelRequest`.
    var modelCalls: [Int: ModelCall] = [:]
    /// Whether the detector last heard this microphone clipping, as the machine was told.
    var clipping = false

    init(serial: UInt64, wsi: OpaquePointer, accountID: String, address: String, settings: InterviewStateMachine.Settings,
         openedAt: ClockReading, maxQueuedBytes: Int, messageLimit: RateLimit) {
        self.serial = serial
        self.wsi = wsi
        self.accountID = accountID
        self.address = address
        self.maxQueuedBytes = maxQueuedBytes
        messageBudget = MessageBudget(messageLimit)
        machine = InterviewStateMachine(settings: settings, openedAt: openedAt)
        liveness = Liveness(openedAtMs: openedAt.monotonicMs)
    }

    enum Assembled {
        case incomplete
        case text(Data)
        case binary(Data)
        /// The message passed its size limit: close with 1009 and this reason.
        case tooLarge(String)
    }

    /// Adds one `LWS_CALLBACK_RECEIVE` chunk to the message being received; a message may come in several.
    func assemble(_ input: UnsafeMutableRawPointer?, _ length: Int, isFirstFragment: Bool, isBinary: Bool, isLast: Bool,
                  limits: (text: Int, binary: Int)) -> Assembled {
        if isFirstFragment { incomingIsBinary = isBinary }
        let limit = incomingIsBinary ? limits.binary : limits.text
        let chunk = if let input, length > 0 { Data(bytes: input, count: length) } else { Data() }
        // Nearly every message (each audio frame) comes whole in one chunk: it is that chunk, without an assembly
        // buffer to empty and refill per frame.
        if isFirstFragment, isLast {
            guard chunk.count <= limit else { return .tooLarge(tooLarge(limit)) }
            return incomingIsBinary ? .binary(chunk) : .text(chunk)
        }
        if isFirstFragment {
            assembling = true
            incoming = chunk
        } else {
            incoming.append(chunk)
        }
        if incoming.count > limit { return .tooLarge(tooLarge(limit)) }
        guard isLast else { return .incomplete }
        assembling = false
        defer { incoming = Data() }
        return incomingIsBinary ? .binary(incoming) : .text(incoming)
    }

    private func tooLarge(_ limit: Int) -> String {
        "\(incomingIsBinary ? "binary" : "text") message larger than \(limit) bytes"
    }

    /// Takes over a parked session: its machine, detector, recording, resume token and speech buffer (with where
    /// that buffer starts, so the first words after the resume keep their lead-in).
    func adopt(_ parked: InterviewConnection) {
        machine = parked.machine
        sessionMode = parked.sessionMode
        detector = parked.detector
        recorder = parked.recorder
        resumeToken = parked.resumeToken
        speechBuffer = parked.speechBuffer
        speechBufferStartMs = parked.speechBufferStartMs
    }

    /// Drops buffered speech audio before `startMs` (session audio time), but only once at least `minimumDropMs`
    /// can go: each drop moves the rest of the buffer.
    func trimSpeechBuffer(keepingFrom startMs: Int64, rate: Int, minimumDropMs: Int64 = 1) {
        let dropMs = startMs - speechBufferStartMs
        guard dropMs >= minimumDropMs else { return }
        let dropBytes = min(speechBuffer.count, Int(dropMs) * rate / 1000 * 2)
        speechBuffer.removeFirst(dropBytes)
        speechBufferStartMs += Int64(dropBytes / 2) * 1000 / Int64(rate)
    }

    /// Whether the client is still there, from its last frame; checked once a second by the service thread.
    var liveness: Liveness
    /// A ping is to go out with the next writeable callback.
    var pingDue = false

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

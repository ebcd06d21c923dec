import CWebSockets
import Foundation

/// What a `LoadClient` tells its owner, always on the client's service thread.
public protocol LoadClientDelegate: AnyObject {
    /// The WebSocket of `connection` is open.
    func loadClient(_ client: LoadClient, opened connection: Int)
    /// The connection could not be opened; `status` is the server's HTTP answer to the upgrade when known.
    func loadClient(_ client: LoadClient, failed connection: Int, status: Int?, message: String)
    /// A whole text message arrived. The bytes are valid only during the call.
    func loadClient(_ client: LoadClient, connection: Int, receivedText bytes: UnsafeRawBufferPointer)
    /// A frame queued with a non-zero `marker` was just handed to the socket, at `atNs` (monotonic nanoseconds).
    func loadClient(_ client: LoadClient, connection: Int, wroteMarker marker: Int, atNs: UInt64)
    /// The connection closed; `code` is the peer's close status when it sent one.
    func loadClient(_ client: LoadClient, closed connection: Int, code: UInt16?)
    /// The client's one timer fired; `atNs` is monotonic nanoseconds.
    func loadClient(_ client: LoadClient, tickAtNs: UInt64)
}

/// Many WebSocket client connections on one libwebsockets context and one service thread, for load generation.
///
/// `WebSocketClient` spends a thread per connection, which thousands of candidates cannot afford. Here every
/// connection lives on the thread that calls `run()`; the delegate is called on it and calls back into the client
/// (connect, send, close, stop) from its callbacks only, so the hot path takes no lock. One context timer ticks
/// every `tickMicroseconds` for all connections: a timer per connection would cost a sorted insert each.
public final class LoadClient: @unchecked Sendable {
    private enum Payload {
        case text([UInt8])
        case binary(Data)

        var count: Int {
            switch self {
            case .text(let bytes): bytes.count
            case .binary(let data): data.count
            }
        }
    }

    private struct Outgoing {
        var payload: Payload
        var marker: Int
    }

    private struct Slot {
        /// Set while a connection is being opened, so a failure is reported once whichever way lws reports it.
        var connecting = false
        var wsi: OpaquePointer?
        var outbox: [Outgoing] = []
        var closeRequested = false
        var assembling: [UInt8] = []
        var peerCloseCode: UInt16?
        var authorization: [UInt8] = []
    }

    public weak var delegate: LoadClientDelegate?
    /// Microseconds between ticks.
    public let tickMicroseconds: Int

    private let host: String
    private let port: Int
    private let path: String
    private var slots: [Slot]
    private var context: OpaquePointer?
    private var eventLoop: UnsafeMutableRawPointer?
    private var stopRequested = false
    private let protocols = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 2)
    private let protocolName = strdup("jestry-load")!
    private let timer = UnsafeMutablePointer<jestry_owned_timer>.allocate(capacity: 1)
    private var retained: [UnsafeMutablePointer<CChar>] = []
    /// One write buffer for every connection: writes happen one at a time on the service thread.
    private var scratch: UnsafeMutableRawBufferPointer
    private var maskKeys = ClientFrame.Keys()

    /// A client for up to `capacity` connections (ids `0..<capacity`) to one `ws://` URL.
    public init(url: URL, capacity: Int, tickMicroseconds: Int = 20_000) throws {
        guard url.scheme == "ws", let host = url.host else { throw WebSocketClient.ClientError.invalidURL(url.absoluteString) }
        self.host = host
        port = url.port ?? 80
        path = (url.path.isEmpty ? "/" : url.path) + (url.query.map { "?" + $0 } ?? "")
        slots = Array(repeating: Slot(), count: capacity)
        self.tickMicroseconds = tickMicroseconds
        precondition(Int(jestry_lws_pre()) >= ClientFrame.maximumHeaderBytes, "a frame's header is written in LWS_PRE")
        scratch = .allocate(byteCount: Int(jestry_lws_pre()) + 64 * 1024, alignment: 16)
        protocols.initialize(repeating: lws_protocols(), count: 2)
        protocols[0].name = UnsafePointer(protocolName)
        protocols[0].callback = loadClientCallback
        protocols[0].rx_buffer_size = 16 * 1024
        timer.initialize(to: jestry_owned_timer())
        timer.pointee.owner = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        protocols.deallocate()
        timer.deallocate()
        scratch.deallocate()
        free(protocolName)
        retained.forEach { free($0) }
    }

    /// Serves every connection on the calling thread until `stop()`; the context is destroyed (all connections
    /// dropped) before it returns.
    public func run() throws {
        lws_set_log_level(Int32(LLL_ERR), nil)
        var info = lws_context_creation_info()
        info.port = CONTEXT_PORT_NO_LISTEN
        info.protocols = UnsafePointer(protocols)
        info.user = Unmanaged.passUnretained(self).toOpaque()
        // Descriptor-indexed lookups, as in the engine (its own count made every event a search of all connections).
        info.fd_limit_per_thread = jestry_fd_limit_per_context()
        // libev on epoll, as the engine's loops: poll(2) hands every connection to the kernel on each wakeup.
        // Epoll took 5 % more off the generator's CPU at 1,000 candidates (BENCHMARKS, "The load generator's CPU").
        info.options = jestry_option_libev()
        guard let loop = jestry_ev_loop_new() else {
            throw WebSocketClient.ClientError.refused(status: nil, message: "cannot create an event loop")
        }
        var foreignLoops: [UnsafeMutableRawPointer?] = [loop]
        let created = foreignLoops.withUnsafeMutableBufferPointer { loops in
            info.foreign_loops = loops.baseAddress
            return lws_create_context(&info)
        }
        guard let context = created else {
            jestry_ev_loop_destroy(loop)
            throw WebSocketClient.ClientError.refused(status: nil, message: "cannot create a libwebsockets context")
        }
        self.context = context
        eventLoop = loop
        schedule()
        jestry_ev_run(loop)  // until `stop()` breaks it
        lws_sul_cancel(jestry_owned_timer_sul(timer))
        lws_context_destroy(context)
        jestry_ev_loop_destroy(loop)
        self.context = nil
        eventLoop = nil
    }

    // MARK: Called from the delegate's callbacks (the service thread)

    /// Opens connection `id` with `Authorization: Bearer <token>` on the upgrade request.
    public func connect(_ id: Int, bearer token: String) {
        guard let context, slots.indices.contains(id), slots[id].wsi == nil, !slots[id].connecting else { return }
        slots[id] = Slot(connecting: true, authorization: Array("Bearer \(token)".utf8))
        var connect = lws_client_connect_info()
        connect.context = context
        connect.address = keep(host)
        connect.port = Int32(port)
        connect.path = keep(path)
        connect.host = keep("\(host):\(port)")
        connect.ietf_version_or_minus_one = -1
        connect.opaque_user_data = UnsafeMutableRawPointer(bitPattern: id + 1)
        if lws_client_connect_via_info(&connect) == nil, slots[id].connecting {
            slots[id].connecting = false
            delegate?.loadClient(self, failed: id, status: nil, message: "libwebsockets could not start the connection")
        }
    }

    /// Queues a text message; `marker` (when not 0) is reported back when it is written.
    public func send(_ id: Int, text bytes: [UInt8], marker: Int = 0) {
        enqueue(id, Outgoing(payload: .text(bytes), marker: marker))
    }

    /// Queues a binary message; `marker` (when not 0) is reported back when it is written.
    public func send(_ id: Int, binary data: Data, marker: Int = 0) {
        enqueue(id, Outgoing(payload: .binary(data), marker: marker))
    }

    /// Closes normally (1000) once the queued frames are written.
    public func close(_ id: Int) {
        guard slots.indices.contains(id), let wsi = slots[id].wsi else { return }
        slots[id].closeRequested = true
        lws_callback_on_writable(wsi)
    }

    /// Frames queued for `id` and not yet written.
    public func queued(_ id: Int) -> Int { slots.indices.contains(id) ? slots[id].outbox.count : 0 }

    /// Makes `run()` return after the current round of service. Called on the service thread (from the delegate).
    public func stop() {
        stopRequested = true
        if let eventLoop { jestry_ev_break(eventLoop) }
    }

    // MARK: Service thread

    private func schedule() {
        guard let context else { return }
        lws_sul_schedule(context, 0, jestry_owned_timer_sul(timer), loadClientTimer, lws_usec_t(tickMicroseconds))
    }

    fileprivate func tick() {
        delegate?.loadClient(self, tickAtNs: Self.nowNs())
        if !stopRequested { schedule() }
    }

    private func enqueue(_ id: Int, _ outgoing: Outgoing) {
        guard slots.indices.contains(id), let wsi = slots[id].wsi, !slots[id].closeRequested else { return }
        slots[id].outbox.append(outgoing)
        if slots[id].outbox.count == 1 { lws_callback_on_writable(wsi) }
    }

    private func keep(_ text: String) -> UnsafePointer<CChar> {
        if let existing = retained.first(where: { strcmp($0, text) == 0 }) { return UnsafePointer(existing) }
        let copy = strdup(text)!
        retained.append(copy)
        return UnsafePointer(copy)
    }

    /// Monotonic nanoseconds, the clock every latency is measured on.
    public static func nowNs() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    fileprivate func handle(_ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ input: UnsafeMutableRawPointer?,
                            _ length: Int) -> Int32 {
        guard let tag = lws_get_opaque_user_data(wsi) else { return 0 }
        let id = Int(bitPattern: tag) - 1
        guard slots.indices.contains(id) else { return 0 }
        switch reason {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            guard let input else { return 0 }
            let cursor = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
            guard let start = cursor.pointee else { return 0 }
            let value = slots[id].authorization
            if lws_add_http_header_by_name(wsi, Self.authorizationName, value, Int32(value.count), cursor, start + length) != 0 {
                return -1
            }
            return 0
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            slots[id].connecting = false
            slots[id].wsi = wsi
            delegate?.loadClient(self, opened: id)
            return 0
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let message = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "connection failed"
            let status = Int(lws_http_client_http_response(wsi))
            guard slots[id].connecting else { return 0 }
            slots[id].connecting = false
            delegate?.loadClient(self, failed: id, status: status > 0 ? status : WebSocketClient.status(in: message), message: message)
            return 0
        case LWS_CALLBACK_CLIENT_RECEIVE:
            let first = lws_is_first_fragment(wsi) != 0
            let last = lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0
            if lws_frame_is_binary(wsi) != 0 { return 0 }  // the engine sends none; nothing to measure in them
            if first && last {
                // The usual case: the whole message in one piece, handed over without a copy.
                delegate?.loadClient(self, connection: id, receivedText: UnsafeRawBufferPointer(start: input, count: length))
                return 0
            }
            if first { slots[id].assembling.removeAll(keepingCapacity: true) }
            if let input, length > 0 {
                slots[id].assembling.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length))
            }
            if last {
                let message = slots[id].assembling
                message.withUnsafeBytes { delegate?.loadClient(self, connection: id, receivedText: $0) }
            }
            return 0
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if let input, length >= 2 {
                let bytes = input.assumingMemoryBound(to: UInt8.self)
                slots[id].peerCloseCode = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            }
            return 0
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return write(id, wsi)
        case LWS_CALLBACK_CLIENT_CLOSED:
            let code = slots[id].peerCloseCode
            slots[id] = Slot()
            delegate?.loadClient(self, closed: id, code: code)
            return 0
        default:
            return 0
        }
    }

    /// One frame per writeable callback, as libwebsockets wants; asks for the next callback while more are queued.
    private func write(_ id: Int, _ wsi: OpaquePointer) -> Int32 {
        guard !slots[id].outbox.isEmpty else {
            if slots[id].closeRequested {
                var reason = Array("bye".utf8)
                lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, &reason, reason.count)
                return -1
            }
            return 0
        }
        let next = slots[id].outbox.removeFirst()
        let pre = Int(jestry_lws_pre())
        if pre + next.payload.count > scratch.count {
            scratch.deallocate()
            scratch = .allocate(byteCount: pre + next.payload.count, alignment: 16)
        }
        let body = scratch.baseAddress! + pre
        let opcode: ClientFrame.Opcode
        switch next.payload {
        case .text(let bytes):
            bytes.withUnsafeBytes { body.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            opcode = .text
        case .binary(let data):
            data.withUnsafeBytes { body.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            opcode = .binary
        }
        // A finished frame, written as is: lws would mask it a byte at a time with a key read from /dev/urandom.
        let count = next.payload.count
        let headerBytes = ClientFrame.seal(opcode: opcode, payload: body, count: count, key: maskKeys.take())
        let frameBytes = headerBytes + count
        let frame = (body - headerBytes).assumingMemoryBound(to: UInt8.self)
        let written = lws_write(wsi, frame, frameBytes, jestry_write_raw())
        if written < frameBytes { return -1 }
        if next.marker != 0 { delegate?.loadClient(self, connection: id, wroteMarker: next.marker, atNs: Self.nowNs()) }
        if !slots[id].outbox.isEmpty || slots[id].closeRequested { lws_callback_on_writable(wsi) }
        return 0
    }

    private static let authorizationName = Array("authorization:".utf8) + [0]
}

private func loadClientCallback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                                _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else { return 0 }
    return Unmanaged<LoadClient>.fromOpaque(owner).takeUnretainedValue().handle(wsi, reason, input, length)
}

private func loadClientTimer(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    guard let sul, let owner = jestry_owned_timer_owner(sul) else { return }
    Unmanaged<LoadClient>.fromOpaque(owner).takeUnretainedValue().tick()
}

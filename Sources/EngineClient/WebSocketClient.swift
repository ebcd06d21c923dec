import CWebSockets
import Foundation

/// A blocking WebSocket client over libwebsockets, for bots and tests.
///
/// It runs its own libwebsockets context on its own service thread. Callers send from any thread (the frame is
/// queued and the loop woken with `lws_cancel_service`) and wait for incoming events with `receive(timeout:)`.
public final class WebSocketClient: @unchecked Sendable {
    public enum Event: Equatable, Sendable {
        case text(String)
        case binary(Data)
        /// The connection closed; `code` is the peer's close status when it sent one.
        case closed(code: UInt16?, reason: String)
    }

    public enum ClientError: Error, Equatable, CustomStringConvertible {
        case invalidURL(String)
        /// The server refused the upgrade; `status` is its HTTP status when known.
        case refused(status: Int?, message: String)
        case timedOut

        public var description: String {
            switch self {
            case .invalidURL(let url): "not a ws:// or wss:// URL: \(url)"
            case .refused(let status, let message): "connection refused (HTTP \(status.map(String.init) ?? "?")): \(message)"
            case .timedOut: "timed out"
            }
        }
    }

    private struct Outgoing {
        var payload: Data
        var binary: Bool
    }

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var inbox: [Event] = []
    private var outbox: [Outgoing] = []
    private var connected = false
    private var failure: ClientError?
    private var isClosed = false
    private var closeRequested = false
    private var stopRequested = false

    /// Guarded by `condition`: set while the service thread's context exists, for `wake`.
    private var context: OpaquePointer?
    // Service thread only:
    private var wsi: OpaquePointer?
    private var assembling = Data()
    private var assemblingBinary = false
    private var peerClose: (code: UInt16, reason: String)?
    private let protocols = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 2)
    private let protocolName = strdup("jestry-client")!
    private var retained: [UnsafeMutablePointer<CChar>] = []
    private let headers: [(String, String)]
    private let serviceDone = DispatchSemaphore(value: 0)

    /// Connects and returns once the WebSocket is open, or throws why it could not.
    /// `headers` are added to the upgrade request (e.g. `Authorization`).
    public init(url: URL, headers: [(String, String)] = [], timeout: TimeInterval = 10) throws {
        guard let scheme = url.scheme, scheme == "ws" || scheme == "wss", let host = url.host else {
            throw ClientError.invalidURL(url.absoluteString)
        }
        self.headers = headers
        protocols.initialize(repeating: lws_protocols(), count: 2)
        protocols[0].name = UnsafePointer(protocolName)
        protocols[0].callback = jestryClientCallback
        protocols[0].rx_buffer_size = 16 * 1024

        let port = url.port ?? (scheme == "wss" ? 443 : 80)
        let path = (url.path.isEmpty ? "/" : url.path) + (url.query.map { "?" + $0 } ?? "")
        // Errors and warnings only: libwebsockets' notices would clutter a bot's transcript.
        lws_set_log_level(Int32(LLL_ERR | LLL_WARN), nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            var info = lws_context_creation_info()
            info.port = CONTEXT_PORT_NO_LISTEN
            info.protocols = UnsafePointer(protocols)
            info.user = Unmanaged.passUnretained(self).toOpaque()
            if scheme == "wss" { info.options = jestry_option_ssl_global_init() }
            guard let context = lws_create_context(&info) else {
                fail(.refused(status: nil, message: "cannot create a libwebsockets context"))
                ready.signal()
                serviceDone.signal()
                return
            }
            condition.withLock { self.context = context }
            var connect = lws_client_connect_info()
            connect.context = context
            connect.address = keep(host)
            connect.port = Int32(port)
            connect.path = keep(path)
            connect.host = keep(url.port.map { "\(host):\($0)" } ?? host)
            // libwebsockets 4.1 puts "http://" in front of this itself.
            connect.origin = keep(url.port.map { "\(host):\($0)" } ?? host)
            connect.ietf_version_or_minus_one = -1
            if scheme == "wss" { connect.ssl_connection = jestry_client_use_ssl() | jestry_client_allow_self_signed() }
            withUnsafeMutablePointer(to: &wsi) { pointer in
                connect.pwsi = pointer
                _ = lws_client_connect_via_info(&connect)
            }
            ready.signal()
            while !shouldStop {
                if lws_service(context, 0) < 0 { break }
            }
            // Under the lock `wake` holds: a send from another thread must not wake a context being freed.
            condition.withLock { self.context = nil }
            lws_context_destroy(context)
            serviceDone.signal()
        }
        thread.name = "jestry-ws-client"
        thread.start()
        ready.wait()

        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while !connected && failure == nil {
            if !condition.wait(until: deadline) {
                failure = .timedOut
            }
        }
        if let failure {
            stopRequested = true
            condition.unlock()
            wake()
            serviceDone.wait()
            condition.lock()
            throw failure
        }
    }

    deinit {
        shutdown()
        protocols.deallocate()
        free(protocolName)
        retained.forEach { free($0) }
    }

    // MARK: Public API

    public func send(text: String) { enqueue(Data(text.utf8), binary: false) }

    /// Sends raw bytes as a text frame, even when they are not valid UTF-8 (for testing the server's checks).
    public func send(textBytes: Data) { enqueue(textBytes, binary: false) }

    public func send(binary: Data) { enqueue(binary, binary: true) }

    /// The next event, waiting up to `timeout` seconds for it.
    public func receive(timeout: TimeInterval = 10) throws -> Event {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while inbox.isEmpty {
            if !condition.wait(until: deadline) { throw ClientError.timedOut }
        }
        return inbox.removeFirst()
    }

    /// Starts a normal close (1000) after the queued frames are sent.
    public func close() {
        condition.withLock { closeRequested = true }
        wake()
    }

    /// Stops the service thread; the connection is dropped without a close handshake if still open.
    public func shutdown() {
        let alreadyStopped = condition.withLock {
            defer { stopRequested = true }
            return stopRequested
        }
        guard !alreadyStopped else { return }
        wake()
        serviceDone.wait()
    }

    // MARK: Service thread

    private var shouldStop: Bool { condition.withLock { stopRequested } }

    private func wake() {
        condition.withLock {
            if let context { lws_cancel_service(context) }
        }
    }

    private func enqueue(_ payload: Data, binary: Bool) {
        condition.withLock { outbox.append(Outgoing(payload: payload, binary: binary)) }
        wake()
    }

    private func keep(_ text: String) -> UnsafePointer<CChar> {
        let copy = strdup(text)!
        retained.append(copy)
        return UnsafePointer(copy)
    }

    private func fail(_ error: ClientError) {
        condition.withLock {
            failure = error
            condition.broadcast()
        }
    }

    private func deliver(_ event: Event) {
        condition.withLock {
            if case .closed = event { isClosed = true }
            inbox.append(event)
            condition.broadcast()
        }
    }

    fileprivate func handle(_ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ input: UnsafeMutableRawPointer?,
                            _ length: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            guard let input else { return 0 }
            let cursor = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
            guard let start = cursor.pointee else { return 0 }
            let end = start + length
            for (name, value) in headers {
                let nameBytes = Array((name.lowercased() + ":").utf8) + [0]
                let valueBytes = Array(value.utf8)
                if lws_add_http_header_by_name(wsi, nameBytes, valueBytes, Int32(valueBytes.count), cursor, end) != 0 { return -1 }
            }
            return 0
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            condition.withLock {
                connected = true
                condition.broadcast()
            }
            if condition.withLock({ !outbox.isEmpty }) { lws_callback_on_writable(wsi) }
            return 0
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let message = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "connection failed"
            let status = Int(lws_http_client_http_response(wsi))
            fail(.refused(status: status > 0 ? status : Self.status(in: message), message: message))
            condition.withLock { stopRequested = true }
            return 0
        case LWS_CALLBACK_CLIENT_RECEIVE:
            if lws_is_first_fragment(wsi) != 0 {
                assembling.removeAll(keepingCapacity: true)
                assemblingBinary = lws_frame_is_binary(wsi) != 0
            }
            if let input, length > 0 { assembling.append(input.assumingMemoryBound(to: UInt8.self), count: length) }
            if lws_is_final_fragment(wsi) != 0, lws_remaining_packet_payload(wsi) == 0 {
                deliver(assemblingBinary ? .binary(assembling) : .text(String(decoding: assembling, as: UTF8.self)))
            }
            return 0
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if let input, length >= 2 {
                let bytes = input.assumingMemoryBound(to: UInt8.self)
                let code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
                let reason = String(decoding: UnsafeBufferPointer(start: bytes + 2, count: length - 2), as: UTF8.self)
                peerClose = (code, reason)
            }
            return 0
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            let (next, more, closing) = condition.withLock { () -> (Outgoing?, Bool, Bool) in
                let next = outbox.isEmpty ? nil : outbox.removeFirst()
                return (next, !outbox.isEmpty, closeRequested && outbox.isEmpty)
            }
            if let next {
                var buffer = [UInt8](repeating: 0, count: Int(jestry_lws_pre()) + next.payload.count)
                next.payload.copyBytes(to: &buffer[Int(jestry_lws_pre())], count: next.payload.count)
                let written = buffer.withUnsafeMutableBufferPointer {
                    lws_write(wsi, $0.baseAddress! + Int(jestry_lws_pre()), next.payload.count,
                              next.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT)
                }
                if written < next.payload.count { return -1 }
                if more || closing { lws_callback_on_writable(wsi) }
                return 0
            }
            if closing {
                var reason = Array("bye".utf8)
                lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, &reason, reason.count)
                return -1
            }
            return 0
        case LWS_CALLBACK_CLIENT_CLOSED:
            deliver(.closed(code: peerClose?.code, reason: peerClose?.reason ?? ""))
            self.wsi = nil
            return 0
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            if let current = self.wsi, condition.withLock({ !outbox.isEmpty || closeRequested }) {
                lws_callback_on_writable(current)
            }
            return 0
        default:
            return 0
        }
    }

    /// libwebsockets reports a refused upgrade as text such as "HS: ws upgrade response not 101"; some versions
    /// include the status. Pull out a three-digit status when there is one.
    static func status(in message: String) -> Int? {
        let digits = message.split { !$0.isNumber }.compactMap { Int($0) }
        return digits.first { (100...599).contains($0) && $0 != 101 }
    }
}

private func jestryClientCallback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                                  _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else { return 0 }
    return Unmanaged<WebSocketClient>.fromOpaque(owner).takeUnretainedValue().handle(wsi, reason, input, length)
}

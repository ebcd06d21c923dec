import CMaskedFrames
import CWebSockets
import Foundation
import Interview
import Logging
import Store

/// One service thread: a libwebsockets context (on the engine's port, shared with the other threads' contexts) and
/// everything that lives on it: HTTP exchanges, interview connections, their timers and their minute settlement.
///
/// Threading invariant: every property except `completions` is touched only on this loop's thread. Other threads
/// hand work back through `completions`; what crosses threads lives in `services` (locked).
final class ServiceLoop: @unchecked Sendable {
    let services: EngineServices
    let completions = CompletionQueue()
    /// Which of the engine's threads this is (for logs).
    let index: Int
    var configuration: ServerConfiguration { services.configuration }
    var logger: Logger { services.logger }
    var now: ClockReading { services.clock() }

    private(set) var context: OpaquePointer?
    /// This thread's epoll loop; lws runs inside it.
    private var eventLoop: UnsafeMutableRawPointer?
    /// This thread's own listening socket on the engine's port (SO_REUSEPORT), and its watcher on `eventLoop`.
    private var listeningFD: Int32 = -1
    private let listener = UnsafeMutablePointer<jestry_listener>.allocate(capacity: 1)
    private var vhost: OpaquePointer?
    /// The port the engine listens on, for telling its own origins (the context itself listens on nothing).
    private(set) var port = 0
    private let protocolName = strdup("jestry-interview")!
    /// The raw-socket protocol a connection falls back to when libwebsockets' HTTP parser gives up on it (an
    /// unknown method, bytes that are not HTTP): it still gets an HTTP answer with a JSON body.
    private let fallbackProtocolName = strdup("jestry-unparsed-http")!
    private let fallbackRole = strdup("raw-skt")!
    private let protocols = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 3)
    /// Turns lws's own liveness check off (no hang-up time): the thread runs its own (`Liveness`). Without a policy
    /// lws 4.1 pings every 300 s and hangs up at 310 s on a client that streams but never answers a ping, and keeps a
    /// timer per connection in its sorted list. lws keeps this by reference, so it lives as long as we do.
    private let lwsLivenessOff = UnsafeMutablePointer<lws_retry_bo_t>.allocate(capacity: 1)
    /// This thread's one timer, for every connection's deadline and the once-a-second housekeeping.
    let timer = UnsafeMutablePointer<jestry_timer>.allocate(capacity: 1)
    /// Ends the context from inside its own loop when the engine stops (see `requestStop`).
    let stopTimer = UnsafeMutablePointer<jestry_timer>.allocate(capacity: 1)

    // HTTP
    var exchanges: [OpaquePointer: HTTPExchange] = [:]
    /// Refusals waiting for a fallback connection to become writeable.
    var unparsedRequests: [OpaquePointer: HTTPResponse] = [:]
    var nextSerial: UInt64 = 1

    // Interviews
    /// Upgrades accepted in `confirmUpgrade`, waiting for `ESTABLISHED`: the account and the client's address.
    var pendingUpgrades: [OpaquePointer: (accountID: String, address: String)] = [:]
    /// Interview WebSockets counted in `services.connections`, from the accepted upgrade to `WSI_DESTROY`.
    var countedConnections: [OpaquePointer: (accountID: String, address: String)] = [:]
    var interviews: [OpaquePointer: InterviewConnection] = [:]
    var interviewsBySerial: [UInt64: InterviewConnection] = [:]
    /// Sockets whose session has moved to another connection, waiting to send their close frame.
    var detachedSockets: [OpaquePointer: (code: UInt16, reason: String)] = [:]
    /// Limits that refused something, logged once a minute each rather than once per refusal.
    var refusals = RefusalLog()

    // Timers
    var deadlines = DeadlineQueue()
    /// When the thread's timer is set to fire, so it is only moved earlier, never rescheduled per input.
    var timerDueMs: Int64?
    var lastHousekeepingMs: Int64 = 0

    // Minutes
    var lastSettlementMs: Int64 = 0
    var settlementInFlight = false
    /// Charges a failed settlement could not write; retried with the next batch. Store-writer queue only.
    var unsettledCharges: [UsageCharge] = []

    /// Each interview's token, re-checked while it runs (ServiceLoop+TokenRecheck).
    let tokenWatch = TokenWatch()

    private let stopLock = NSLock()
    private var stopRequested = false

    init(services: EngineServices, index: Int) {
        self.services = services
        self.index = index
        protocols.initialize(repeating: lws_protocols(), count: 3)
        protocols[0].name = UnsafePointer(protocolName)
        protocols[0].callback = jestryServiceCallback
        protocols[0].rx_buffer_size = 16 * 1024
        protocols[1].name = UnsafePointer(fallbackProtocolName)
        protocols[1].callback = jestryServiceCallback
        lwsLivenessOff.initialize(to: lws_retry_bo_t())
        listener.initialize(to: jestry_listener())
        listener.pointee.owner = Unmanaged.passUnretained(self).toOpaque()
        listener.pointee.accepted = jestryConnectionAccepted
        for pointer in [timer, stopTimer] {
            pointer.initialize(to: jestry_timer())
            pointer.pointee.owner = Unmanaged.passUnretained(self).toOpaque()
        }
    }

    deinit {
        protocols.deallocate()
        lwsLivenessOff.deallocate()
        timer.deallocate()
        stopTimer.deallocate()
        listener.deallocate()
        free(protocolName)
        free(fallbackProtocolName)
        free(fallbackRole)
    }

    /// Creates the context and this thread's listening socket on `port` (0: any free one); returns the port. Every
    /// thread listens on the same port (SO_REUSEPORT): the kernel spreads new connections over them.
    func createContext(port: Int) throws -> Int {
        let (fd, boundPort) = try ListeningSocket.open(host: configuration.host, port: port)
        listeningFD = fd
        self.port = boundPort
        var info = lws_context_creation_info()
        info.port = jestry_context_port_no_listen_server()
        info.protocols = UnsafePointer(protocols)
        info.user = Unmanaged.passUnretained(self).toOpaque()
        // libev on epoll, so a wakeup costs nothing per idle connection (poll(2) scanned them all).
        info.options = jestry_option_validate_utf8() | jestry_option_fallback_to_raw() | jestry_option_listen_share()
            | jestry_option_libev()
        guard let loop = jestry_ev_loop_new() else { throw ServerError.cannotListen(port: port) }
        eventLoop = loop
        jestry_ev_set_io_collect_interval(loop, Double(configuration.eventBatchMicroseconds) / 1_000_000)
        var foreignLoops: [UnsafeMutableRawPointer?] = [loop]
        info.listen_accept_role = UnsafePointer(fallbackRole)
        info.listen_accept_protocol = UnsafePointer(fallbackProtocolName)
        info.retry_and_idle_policy = UnsafePointer(lwsLivenessOff)
        // Descriptor-indexed lookups (a fixed smaller limit made every event a search of all connections).
        info.fd_limit_per_thread = jestry_fd_limit_per_context()
        info.max_http_header_data2 = UInt32(configuration.maxRequestHeadBytes)
        info.timeout_secs_ah_idle = UInt32(configuration.requestHeadDeadlineSeconds)
        if let certificate = configuration.tlsCertificatePath, let key = configuration.tlsPrivateKeyPath {
            // One port, TLS only: HTTPS for the page and API, WSS for the interview.
            info.options |= jestry_option_ssl_global_init()
            info.ssl_cert_filepath = TLSFiles.retained(certificate)
            info.ssl_private_key_filepath = TLSFiles.retained(key)
        }
        let created = foreignLoops.withUnsafeMutableBufferPointer { loops in
            info.foreign_loops = loops.baseAddress
            return lws_create_context(&info)
        }
        guard let context = created, let vhost = lws_get_vhost_by_name(context, "default") else {
            if let created { lws_context_destroy(created) }
            jestry_ev_loop_destroy(loop)
            eventLoop = nil
            close(fd)
            throw ServerError.cannotListen(port: port)
        }
        self.context = context
        self.vhost = vhost
        completions.attach(context)
        jestry_listener_start(loop, listener, fd)
        scheduleTimer(at: now.monotonicMs + 1_000)
        return boundPort
    }

    /// A connection the kernel gave this thread's socket: libwebsockets takes it as if it had accepted it.
    fileprivate func connectionAccepted(_ fd: Int32) {
        // What lws does to the sockets it accepts itself, but not to adopted ones: without TCP_NODELAY, Nagle's
        // algorithm holds each small event back until the client's next packet acknowledges the last one.
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        guard let vhost, let wsi = lws_adopt_socket_vhost(vhost, fd) else {
            close(fd)  // lws could not take it (out of memory or descriptors); the client sees a reset
            return
        }
        if jestry_masked_frames_accepted(fd, UnsafeMutableRawPointer(wsi)) != 0 {
            logger.warning("the mask check does not watch this connection (socket number past the open-file limit, or no memory)")
        }
    }

    /// Services the context until `requestStop`, then tears it down: live sessions end, recordings and pending
    /// writes are flushed.
    func serve() {
        jestry_ev_run(eventLoop)  // until `stopTimerFired` breaks it
        // Outside the loop now: closing every connection ends (or parks) its session through the callbacks.
        close(listeningFD)
        completions.detach()  // before the destroy: a call finishing on another thread must not wake a freed context
        lws_context_destroy(context)
        jestry_ev_loop_destroy(eventLoop)
        eventLoop = nil
        for connection in services.sessions.takeExpired(at: 0, all: true) {
            run(connection.machine.clientClosed(at: now), on: connection)
        }
        context = nil
        services.storeWriter.sync {}
        completions.drain()
        services.recordingsFinishing.wait()
    }

    /// Asks the loop to stop, from any thread: the loop wakes and breaks out of its event loop from a timer inside
    /// it; `serve` then destroys the context.
    func requestStop() {
        stopLock.withLock { stopRequested = true }
        completions.post { [weak self] in
            guard let self, let context = self.context else { return }
            lws_sul_schedule(context, 0, &self.stopTimer.pointee.sul, jestryStopTimerFired, 1)
        }
    }

    var isStopRequested: Bool { stopLock.withLock { stopRequested } }

    fileprivate func stopTimerFired() {
        jestry_listener_stop(eventLoop, listener)
        jestry_ev_break(eventLoop)
    }

    // MARK: The callback: one line per reason

    func handle(_ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_HTTP: return httpRequestStarted(wsi, path: input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "/")
        case LWS_CALLBACK_HTTP_BODY: return httpBodyReceived(wsi, input, length)
        case LWS_CALLBACK_HTTP_BODY_COMPLETION: return httpBodyCompleted(wsi)
        case LWS_CALLBACK_HTTP_WRITEABLE: return httpWriteable(wsi)
        case LWS_CALLBACK_CLOSED_HTTP: return httpConnectionClosed(wsi)
        case LWS_CALLBACK_RAW_RX: return unparsedRequestReceived(wsi, input, length)
        case LWS_CALLBACK_RAW_WRITEABLE: return unparsedRequestWriteable(wsi)
        case LWS_CALLBACK_RAW_CLOSE: return unparsedRequestClosed(wsi)
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: return confirmUpgrade(wsi)
        case LWS_CALLBACK_ESTABLISHED: return interviewOpened(wsi)
        case LWS_CALLBACK_RECEIVE: return interviewReceived(wsi, input, length)
        case LWS_CALLBACK_RECEIVE_PONG: return pongReceived(wsi)
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: return peerInitiatedClose(input, length)
        case LWS_CALLBACK_SERVER_WRITEABLE: return interviewWriteable(wsi)
        case LWS_CALLBACK_CLOSED: return interviewClosed(wsi)
        case LWS_CALLBACK_WSI_DESTROY: return connectionDestroyed(wsi)
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED: return completionsPosted()
        default: return lws_callback_http_dummy(wsi, reason, user, input, length)
        }
    }

    private func completionsPosted() -> Int32 {
        completions.drain()
        return 0
    }

    private func connectionDestroyed(_ wsi: OpaquePointer) -> Int32 {
        exchanges[wsi] = nil
        unparsedRequests[wsi] = nil
        pendingUpgrades[wsi] = nil
        detachedSockets[wsi] = nil
        if let counted = countedConnections.removeValue(forKey: wsi) {
            services.connections.closed(accountID: counted.accountID, address: counted.address)
        }
        if interviews[wsi] != nil { _ = interviewClosed(wsi) }
        return 0
    }
}

enum ServerError: Error, CustomStringConvertible {
    case cannotListen(port: Int)

    var description: String {
        switch self {
        case .cannotListen(let port): "cannot listen on port \(port): is another program using it?"
        }
    }
}

/// The C callback libwebsockets calls for both protocols: finds the `ServiceLoop` through the context's user pointer.
func jestryServiceCallback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                           _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else {
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
    return Unmanaged<ServiceLoop>.fromOpaque(owner).takeUnretainedValue().handle(wsi, reason, user, input, length)
}

/// The mask check's report (from inside a read on the connection's service thread): the connection is its `wsi`.
func jestryUnmaskedFrame(_ connection: UnsafeMutableRawPointer?) {
    guard let connection, let context = lws_get_context(OpaquePointer(connection)), let owner = lws_context_user(context) else { return }
    Unmanaged<ServiceLoop>.fromOpaque(owner).takeUnretainedValue().unmaskedFrameReceived(OpaquePointer(connection))
}

private func jestryStopTimerFired(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    guard let sul, let owner = jestry_timer_owner(sul) else { return }
    Unmanaged<ServiceLoop>.fromOpaque(owner).takeUnretainedValue().stopTimerFired()
}

private func jestryConnectionAccepted(_ owner: UnsafeMutableRawPointer?, _ fd: Int32) {
    guard let owner else { return }
    Unmanaged<ServiceLoop>.fromOpaque(owner).takeUnretainedValue().connectionAccepted(fd)
}

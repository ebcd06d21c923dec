import CWebSockets
import Dispatch
import Foundation
import Audio
import Interview
import Logging
import Security
import Store

/// The libwebsockets context and everything that lives on its service thread: HTTP exchanges, interview
/// connections and the minute settlement.
///
/// Threading invariant: every property except `completions` and the queues is touched only on the service thread.
/// Other threads hand results back through `completions`.
final class ServiceLoop: @unchecked Sendable {
    let configuration: ServerConfiguration
    let store: any EngineStore
    let prompts: PromptsProvider
    let logger: Logger
    let routes: APIRoutes
    let staticFiles: StaticFiles
    let completions = CompletionQueue()
    /// All database writes, in order: records of a session never overtake each other or its settlements.
    let storeWriter = DispatchQueue(label: "jestry.store-writer")
    /// API handlers that may block (password hashing, reads).
    let workers = DispatchQueue(label: "jestry.api-workers", attributes: .concurrent)
    var machineSettings: InterviewStateMachine.Settings { configuration.machineSettings }
    /// Server-side speech to text, when configured; clients may send their own transcripts either way.
    let transcriber: (any SpeechTranscriber)?

    private(set) var context: OpaquePointer?
    private let protocolName = strdup("jestry-interview")!
    /// The raw-socket protocol a connection falls back to when libwebsockets' HTTP parser gives up on it (an
    /// unknown method, bytes that are not HTTP): it still gets an HTTP answer with a JSON body.
    private let fallbackProtocolName = strdup("jestry-unparsed-http")!
    private let fallbackRole = strdup("raw-skt")!
    private let protocols = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 3)
    /// Refusals waiting for a fallback connection to become writeable.
    private var unparsedRequests: [OpaquePointer: HTTPResponse] = [:]
    /// Ping after 20 s without traffic, hang up after 50 s: a vanished client stops being metered within a minute
    /// even when its TCP connection never reports the loss. lws keeps this by reference, so it lives as long as we do.
    private let livenessPolicy = UnsafeMutablePointer<lws_retry_bo_t>.allocate(capacity: 1)

    private var exchanges: [OpaquePointer: HTTPExchange] = [:]
    /// Upgrades accepted in `confirmUpgrade`, waiting for `ESTABLISHED`: the account and the client's address.
    private var pendingUpgrades: [OpaquePointer: (accountID: String, address: String)] = [:]
    /// Interview WebSockets counted against the per-address and per-account limits, from the accepted upgrade to
    /// `WSI_DESTROY`.
    private var countedConnections: [OpaquePointer: (accountID: String, address: String)] = [:]
    private var connectionsPerAddress: [String: Int] = [:]
    private var connectionsPerAccount: [String: Int] = [:]
    /// Limits that refused something, logged once a minute each rather than once per refusal.
    private var refusals = RefusalLog()
    private var interviews: [OpaquePointer: InterviewConnection] = [:]
    /// Live sessions whose connection dropped, by session id, until resumed or their grace period ends.
    private var suspended: [String: (connection: InterviewConnection, deadlineMs: Int64)] = [:]
    private var nextSerial: UInt64 = 1
    private var lastSettlementMs: Int64 = 0
    private var settlementInFlight = false
    /// Charges a failed settlement could not write; retried with the next batch. Store-writer queue only.
    private var unsettledCharges: [UsageCharge] = []

    private let stopLock = NSLock()
    private var stopRequested = false
    /// Each interview's token, re-checked while it runs (the extension at the end of this file).
    let tokenWatch = TokenWatch()
    let originPolicy: OriginPolicy

    init(configuration: ServerConfiguration, store: any EngineStore, prompts: PromptsProvider, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.prompts = prompts
        self.logger = logger
        transcriber = configuration.speechToTextURL.map {
            OpenAICompatibleTranscriber(baseURL: $0, apiKey: configuration.speechToTextKey, model: configuration.speechToTextModel)
        }
        routes = APIRoutes(store: store, prompts: prompts, configuration: configuration, logger: logger)
        staticFiles = StaticFiles(root: configuration.staticDirectory)
        originPolicy = OriginPolicy(allowedOrigins: configuration.allowedOrigins, tls: configuration.tlsEnabled)
        protocols.initialize(repeating: lws_protocols(), count: 3)
        protocols[0].name = UnsafePointer(protocolName)
        protocols[0].callback = jestryServiceCallback
        protocols[0].rx_buffer_size = 16 * 1024
        protocols[1].name = UnsafePointer(fallbackProtocolName)
        protocols[1].callback = jestryServiceCallback
        livenessPolicy.initialize(to: lws_retry_bo_t())
        livenessPolicy.pointee.secs_since_valid_ping = 20
        livenessPolicy.pointee.secs_since_valid_hangup = 50
    }

    deinit {
        protocols.deallocate()
        livenessPolicy.deallocate()
        free(protocolName)
        free(fallbackProtocolName)
        free(fallbackRole)
    }

    /// Creates the context and returns the port it listens on.
    func createContext() throws -> Int {
        SessionRecorder.repairHeaders(in: RecordingFiles.directory(dataDirectory: configuration.dataDirectory), logger: logger)
        LWSLogBridge.install()
        var info = lws_context_creation_info()
        info.port = Int32(configuration.port)
        info.protocols = UnsafePointer(protocols)
        info.user = Unmanaged.passUnretained(self).toOpaque()
        info.options = jestry_option_validate_utf8() | jestry_option_fallback_to_raw()
        info.listen_accept_role = UnsafePointer(fallbackRole)
        info.listen_accept_protocol = UnsafePointer(fallbackProtocolName)
        info.retry_and_idle_policy = UnsafePointer(livenessPolicy)
        // lws sizes its tables from `ulimit -n`; an "unlimited" limit silently caps it near 2,560 connections.
        info.fd_limit_per_thread = 8192
        if let certificate = configuration.tlsCertificatePath, let key = configuration.tlsPrivateKeyPath {
            // One port, TLS only: HTTPS for the page and API, WSS for the interview.
            info.options |= jestry_option_ssl_global_init()
            info.ssl_cert_filepath = TLSFiles.retained(certificate)
            info.ssl_private_key_filepath = TLSFiles.retained(key)
        }
        let host = configuration.host.map { strdup($0) }
        defer { host.map { free($0) } }
        info.iface = host.map { UnsafePointer($0!) } ?? nil
        guard let context = lws_create_context(&info) else {
            throw ServerError.cannotListen(port: configuration.port)
        }
        self.context = context
        completions.context = context
        guard let vhost = lws_get_vhost_by_name(context, "default") else { throw ServerError.cannotListen(port: configuration.port) }
        return Int(lws_get_vhost_listen_port(vhost))
    }

    /// Services the context until `requestStop`, then tears it down and flushes every pending write.
    func serve() {
        let sweeper = DispatchSource.makeTimerSource(queue: workers)
        sweeper.schedule(deadline: .now() + 1, repeating: 1)
        sweeper.setEventHandler { [completions] in
            completions.post { [weak self] in
                self?.expireSuspendedSessions()
                self?.expireSlowRequests()
            }
        }
        sweeper.resume()
        while !isStopRequested {
            if lws_service(context, 0) < 0 { break }
        }
        sweeper.cancel()
        lws_context_destroy(context)
        expireSuspendedSessions(all: true)
        context = nil
        completions.context = nil
        storeWriter.sync {}
        completions.drain()
    }

    func requestStop() {
        stopLock.withLock { stopRequested = true }
        completions.post {}
    }

    private var isStopRequested: Bool { stopLock.withLock { stopRequested } }

    // MARK: The callback

    func handle(_ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_HTTP:
            return httpRequestStarted(wsi, path: input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "/")
        case LWS_CALLBACK_HTTP_BODY:
            if let exchange = exchanges[wsi], exchange.response == nil, let input {
                exchange.request.body.append(input.assumingMemoryBound(to: UInt8.self), count: length)
                if exchange.request.body.count > configuration.maxHTTPBodyBytes { return -1 }  // lied about its length
            }
            return 0
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            // A request without a body was dispatched when it started; lws still reports the completion of its
            // (explicitly) empty body, which must not run the handler a second time.
            if let exchange = exchanges[wsi], exchange.response == nil, !exchange.request.isDispatchedBeforeBody { dispatch(exchange) }
            return 0
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return httpWriteable(wsi)
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return confirmUpgrade(wsi)
        case LWS_CALLBACK_ESTABLISHED:
            return interviewOpened(wsi)
        case LWS_CALLBACK_RECEIVE:
            return interviewReceived(wsi, input, length)
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            return peerInitiatedClose(input, length)
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return interviewWriteable(wsi)
        case LWS_CALLBACK_TIMER:
            timerFired(wsi)
            return 0
        case LWS_CALLBACK_CLOSED:
            interviewClosed(wsi)
            return 0
        case LWS_CALLBACK_WSI_DESTROY:
            exchanges[wsi] = nil
            pendingUpgrades[wsi] = nil
            uncount(wsi)
            if interviews[wsi] != nil { interviewClosed(wsi) }
            return 0
        case LWS_CALLBACK_RAW_RX:
            return unparsedRequestReceived(wsi, input, length)
        case LWS_CALLBACK_RAW_WRITEABLE:
            return unparsedRequestWriteable(wsi)
        case LWS_CALLBACK_RAW_CLOSE:
            unparsedRequests[wsi] = nil
            return 0
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            completions.drain()
            return 0
        default:
            return lws_callback_http_dummy(wsi, reason, user, input, length)
        }
    }

    // MARK: HTTP

    private func httpRequestStarted(_ wsi: OpaquePointer, path: String) -> Int32 {
        let method = LWS.method(wsi)
        if let refusal = Self.framingRefusal(method: method, contentLength: LWS.header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH),
                                             transferEncoding: LWS.header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)) {
            // The body's end cannot be trusted, so neither can anything after it on this connection.
            refusals.note("http-framing", logger: logger, at: MonotonicClock.now().monotonicMs)
            respondAlone(wsi, method: method, path: path, refusal)
            return 0
        }
        if path != "/v1" && !path.hasPrefix("/v1/") {
            return serveStatic(wsi, method: method, path: path)
        }
        if let sessionID = Self.recordingSessionID(path) {
            guard method == "GET" || method == "HEAD" else {
                respondAlone(wsi, method: method, path: path, .methodNotAllowed(method, path, allow: "GET, HEAD"))
                return 0
            }
            return serveRecording(wsi, sessionID: sessionID)
        }
        let request = HTTPRequest.read(from: wsi, method: method, path: path)
        let exchange = HTTPExchange(id: nextSerial, request: request, startedMs: MonotonicClock.now().monotonicMs)
        nextSerial += 1
        exchanges[wsi] = exchange
        let declaredLength = request.declaredContentLength
        if declaredLength > configuration.maxHTTPBodyBytes {
            var response = HTTPResponse.error(413, "body_too_large",
                                              "The request body is \(declaredLength) bytes; the limit is \(configuration.maxHTTPBodyBytes).")
            response.closeConnection = true
            respond(exchange, wsi, response)
        } else if declaredLength == 0 || method == "GET" || method == "HEAD" {
            dispatch(exchange)
        }
        // Otherwise the body arrives in LWS_CALLBACK_HTTP_BODY and is dispatched at BODY_COMPLETION.
        return 0
    }

    private func serveStatic(_ wsi: OpaquePointer, method: String, path: String) -> Int32 {
        guard method == "GET" || method == "HEAD" else {
            respondAlone(wsi, method: method, path: path, .methodNotAllowed(method, path, allow: "GET, HEAD"))
            return 0
        }
        guard let file = staticFiles.file(for: path) else {
            respondAlone(wsi, method: method, path: path, .error(404, "not_found", "There is no page \(path)."))
            return 0
        }
        let status = lws_serve_http_file(wsi, file.path, file.mimeType, nil, 0)
        if status < 0 { return -1 }
        if status > 0 && lws_http_transaction_completed(wsi) != 0 { return -1 }
        return 0
    }

    /// `/v1/sessions/{id}/recording` → the id.
    static func recordingSessionID(_ path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count == 4, parts[0] == "v1", parts[1] == "sessions", parts[3] == "recording" else { return nil }
        return String(parts[2])
    }

    /// Streams a session's recording to its owner with `lws_serve_http_file`, so a long recording is never held in
    /// memory. The ownership check is two primary-key reads, as at the WebSocket upgrade.
    private func serveRecording(_ wsi: OpaquePointer, sessionID: String) -> Int32 {
        let method = LWS.method(wsi)
        let path = "/v1/sessions/\(sessionID)/recording"
        let token = Credentials.token(authorization: LWS.header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION),
                                      cookie: LWS.header(wsi, WSI_TOKEN_HTTP_COOKIE))
        guard let token, let accountID = try? store.accountID(forToken: token, at: configuration.clock()) else {
            respondAlone(wsi, method: method, path: path, .error(401, "unauthorized",
                                                                 "Sign in first: send the token from POST /v1/login as \"Authorization: Bearer …\" or the session cookie."))
            return 0
        }
        // Someone else's session and a session without a recording look the same: 404.
        guard let file = RecordingFiles.file(forSession: sessionID, dataDirectory: configuration.dataDirectory),
              (try? store.sessionBelongs(id: sessionID, to: accountID)) == true,
              FileManager.default.fileExists(atPath: file.path) else {
            respondAlone(wsi, method: method, path: path, .error(404, "not_found", "There is no recording for session \(sessionID)."))
            return 0
        }
        // Recordings are personal: never cached by a shared proxy, never sniffed as another type.
        let headers = Array("cache-control: no-store\r\nx-content-type-options: nosniff\r\n".utf8CString)
        let status = lws_serve_http_file(wsi, file.path, "audio/wav", headers, Int32(headers.count - 1))
        if status < 0 { return -1 }
        if status > 0 && lws_http_transaction_completed(wsi) != 0 { return -1 }
        return 0
    }

    /// The bytes libwebsockets' HTTP parser refused (`input`: all of them so far). A request line with a method
    /// token lws does not know gets 405 with the path's `Allow`; anything else 400. Either way the connection closes.
    private func unparsedRequestReceived(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard unparsedRequests[wsi] == nil else { return 0 }  // answered already; the rest is ignored
        let bytes = input.map { Data(bytes: $0, count: min(length, 8192)) } ?? Data()
        unparsedRequests[wsi] = UnparsedRequest.response(for: bytes, allowedMethods: routes.allowedMethods(path:))
        refusals.note("unparsed-http", logger: logger, at: MonotonicClock.now().monotonicMs)
        lws_callback_on_writable(wsi)
        return 0
    }

    private func unparsedRequestWriteable(_ wsi: OpaquePointer) -> Int32 {
        guard let response = unparsedRequests.removeValue(forKey: wsi) else { return 0 }
        _ = LWS.write(wsi, UnparsedRequest.serialize(response), LWS_WRITE_HTTP)
        return -1
    }

    /// Answers a request the service loop decides itself (no handler runs), e.g. a 404 for a static file.
    private func respondAlone(_ wsi: OpaquePointer, method: String, path: String, _ response: HTTPResponse) {
        let exchange = HTTPExchange(id: nextSerial, request: HTTPRequest(method: method, path: path),
                                    startedMs: MonotonicClock.now().monotonicMs)
        nextSerial += 1
        exchanges[wsi] = exchange
        respond(exchange, wsi, response)
    }

    /// A request whose body cannot be framed safely: `Transfer-Encoding` with `Content-Length` is how requests are
    /// smuggled past proxies (400), a chunked body is not supported (411), and a GET or HEAD carries no body (400).
    /// Each closes the connection.
    static func framingRefusal(method: String, contentLength: String?, transferEncoding: String?) -> HTTPResponse? {
        var refusal: HTTPResponse
        if transferEncoding != nil, contentLength != nil {
            refusal = .error(400, "ambiguous_body_length", "Send either Content-Length or Transfer-Encoding, not both.")
        } else if transferEncoding != nil {
            refusal = .error(411, "length_required", "Chunked request bodies are not supported; send Content-Length.")
        } else if let contentLength, Int(contentLength.trimmingCharacters(in: .whitespaces)).map({ $0 < 0 }) ?? true {
            refusal = .error(400, "invalid_content_length", "Content-Length must be a whole number of bytes.")
        } else if method == "GET" || method == "HEAD", let contentLength, Int(contentLength.trimmingCharacters(in: .whitespaces)) != 0 {
            refusal = .error(400, "unexpected_body", "\(method) requests carry no body.")
        } else {
            return nil
        }
        refusal.closeConnection = true
        return refusal
    }

    /// Once a second: a request whose body has not arrived within the deadline gets 408 and its connection closes,
    /// so a client trickling bytes cannot hold a connection (and its buffers) for long.
    func expireSlowRequests() {
        let now = MonotonicClock.now().monotonicMs
        let deadlineMs = Int64(configuration.requestBodyDeadlineSeconds * 1000)
        for (wsi, exchange) in exchanges where exchange.response == nil && now - exchange.startedMs > deadlineMs {
            refusals.note("request-body-deadline", logger: logger, at: now)
            var response = HTTPResponse.error(408, "request_timeout",
                                              "The request body did not arrive within \(Int(configuration.requestBodyDeadlineSeconds)) s.")
            response.closeConnection = true
            respond(exchange, wsi, response)
            // A client that does not read the 408 either is closed without it.
            lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, 2)
        }
    }

    /// Runs the API handler on a worker thread and brings the response back to the service thread.
    private func dispatch(_ exchange: HTTPExchange) {
        let request = exchange.request
        let id = exchange.id
        workers.async { [routes, completions] in
            let response = routes.handle(request)
            completions.post { [weak self] in self?.deliver(response, toExchange: id) }
        }
    }

    private func deliver(_ response: HTTPResponse, toExchange id: UInt64) {
        // The client may have gone while the handler ran; then there is no one to answer.
        guard let (wsi, exchange) = exchanges.first(where: { $0.value.id == id }) else { return }
        respond(exchange, wsi, response)
    }

    private func respond(_ exchange: HTTPExchange, _ wsi: OpaquePointer, _ response: HTTPResponse) {
        exchange.response = response
        lws_callback_on_writable(wsi)
    }

    private func httpWriteable(_ wsi: OpaquePointer) -> Int32 {
        guard let exchange = exchanges[wsi], let response = exchange.response else { return 0 }
        if !exchange.headersSent {
            guard LWS.writeHeaders(wsi, response) else { return -1 }
            exchange.headersSent = true
            lws_callback_on_writable(wsi)
            return 0
        }
        guard LWS.writeBody(wsi, exchange.request.method == "HEAD" ? Data() : response.body) else { return -1 }
        exchanges[wsi] = nil
        if response.closeConnection { return -1 }
        return lws_http_transaction_completed(wsi) != 0 ? -1 : 0
    }

    // MARK: Interview WebSocket

    /// Runs before the upgrade is accepted: only `/v1/interview` with a valid token becomes a WebSocket.
    private func confirmUpgrade(_ wsi: OpaquePointer) -> Int32 {
        let path = LWS.header(wsi, WSI_TOKEN_GET_URI) ?? ""
        guard path == "/v1/interview" else {
            return refuseUpgrade(wsi, .error(404, "not_found", "The interview WebSocket is at /v1/interview."))
        }
        // Cross-site WebSocket hijacking: a page on another site must not ride on the browser's cookie.
        guard originPolicy.allows(origin: LWS.header(wsi, WSI_TOKEN_ORIGIN), host: LWS.header(wsi, WSI_TOKEN_HOST),
                                  port: LWS.listenPort(wsi)) else {
            return refuseUpgrade(wsi, .error(403, "origin_not_allowed",
                                             "This page's origin may not open the interview; use the engine's own site."))
        }
        let token = Credentials.token(authorization: LWS.header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION),
                                      cookie: LWS.header(wsi, WSI_TOKEN_HTTP_COOKIE))
        // A single primary-key read; WAL readers never wait for the writer, so this does not stall the loop.
        guard let token, let accountID = try? store.accountID(forToken: token, at: configuration.clock()) else {
            return refuseUpgrade(wsi, .error(401, "unauthorized",
                                             "Sign in first and send the token as \"Authorization: Bearer …\" or the session cookie."))
        }
        let address = LWS.peerAddress(wsi) ?? "unknown"
        if let refusal = connectionLimitRefusal(accountID: accountID, address: address) { return refuseUpgrade(wsi, refusal) }
        pendingUpgrades[wsi] = (accountID, address)
        countedConnections[wsi] = (accountID, address)
        connectionsPerAddress[address, default: 0] += 1
        connectionsPerAccount[accountID, default: 0] += 1
        tokenWatch.opened(wsi, token: token)
        workers.async { [store, configuration] in  // opening an interview is a use of the token (a write: not here)
            try? store.touchToken(token, at: configuration.clock(), idleTimeout: configuration.tokenIdleTimeout)
        }
        return 0
    }

    /// 429 when the address or the account already has as many interview connections as it may.
    private func connectionLimitRefusal(accountID: String, address: String) -> HTTPResponse? {
        let perAddress = configuration.maxInterviewConnectionsPerAddress
        let perAccount = configuration.maxInterviewConnectionsPerAccount
        let message: String
        if perAddress > 0, connectionsPerAddress[address, default: 0] >= perAddress {
            message = "Your address already has \(perAddress) interview connections open; close one first."
        } else if perAccount > 0, connectionsPerAccount[accountID, default: 0] >= perAccount {
            message = "Your account already has \(perAccount) interview connections open; close one first."
        } else {
            return nil
        }
        refusals.note("interview-connections", logger: logger, at: MonotonicClock.now().monotonicMs)
        return .error(429, "too_many_connections", message)
    }

    /// A connection leaves the per-address and per-account counts when libwebsockets destroys it.
    private func uncount(_ wsi: OpaquePointer) {
        guard let counted = countedConnections.removeValue(forKey: wsi) else { return }
        connectionsPerAddress[counted.address, default: 1] -= 1
        if connectionsPerAddress[counted.address] == 0 { connectionsPerAddress[counted.address] = nil }
        connectionsPerAccount[counted.accountID, default: 1] -= 1
        if connectionsPerAccount[counted.accountID] == 0 { connectionsPerAccount[counted.accountID] = nil }
    }

    /// The client sent a close frame. libwebsockets echoes its code, and lets codes above 4999 through although
    /// RFC 6455 §7.4 reserves none there: those are answered with 1002 (protocol error) instead, by rewriting the
    /// echoed code in place (`input` is libwebsockets' own receive buffer).
    private func peerInitiatedClose(_ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard let input, length >= 2 else { return length == 1 ? -1 : 0 }  // a 1-byte close payload is malformed
        let bytes = input.assumingMemoryBound(to: UInt8.self)
        let code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        if code >= 5000 {
            bytes[0] = UInt8(1002 >> 8)
            bytes[1] = UInt8(1002 & 0xff)
        }
        return 0
    }

    /// Answers the upgrade request with a plain HTTP error instead of switching protocols.
    private func refuseUpgrade(_ wsi: OpaquePointer, _ response: HTTPResponse) -> Int32 {
        guard LWS.writeHeaders(wsi, response), LWS.writeBody(wsi, response.body) else { return -1 }
        return 1
    }

    private func interviewOpened(_ wsi: OpaquePointer) -> Int32 {
        guard let (accountID, address) = pendingUpgrades.removeValue(forKey: wsi) else {
            LWS.setCloseReason(wsi, code: 1008, reason: "not authenticated")
            return -1
        }
        interviews[wsi] = InterviewConnection(serial: nextSerial, wsi: wsi, accountID: accountID, address: address,
                                              settings: machineSettings, openedAt: MonotonicClock.now(),
                                              maxQueuedBytes: configuration.maxQueuedOutputBytes,
                                              messageLimit: configuration.messageLimit)
        nextSerial += 1
        lws_set_timer_usecs(wsi, lws_usec_t(configuration.tickIntervalMs * 1000))
        return 0
    }

    private func interviewReceived(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard let connection = interviews[wsi] else { return -1 }
        lws_validity_confirmed(wsi)  // the client's own messages prove it is alive, as a pong would
        if !connection.assembling {
            connection.assembling = true
            connection.incoming.removeAll(keepingCapacity: true)
            connection.incomingIsBinary = lws_frame_is_binary(wsi) != 0
        }
        if let input, length > 0 {
            connection.incoming.append(input.assumingMemoryBound(to: UInt8.self), count: length)
        }
        let limit = connection.incomingIsBinary ? configuration.maxBinaryMessageBytes : configuration.maxTextMessageBytes
        if connection.incoming.count > limit {
            LWS.setCloseReason(wsi, code: 1009,
                               reason: "\(connection.incomingIsBinary ? "binary" : "text") message larger than \(limit) bytes")
            return -1
        }
        guard lws_is_final_fragment(wsi) != 0, lws_remaining_packet_payload(wsi) == 0 else { return 0 }
        connection.assembling = false
        let message = connection.incoming
        let now = MonotonicClock.now()
        // Audio is bounded by the machine (real time); everything else by the connection's message budget, which
        // also bounds the error replies a misbehaving client can make the server queue.
        if !connection.incomingIsBinary || !connection.machine.acceptsAudio,
           case .refused(let report) = connection.messageBudget.take(at: now.monotonicMs) {
            refusals.note("messages-per-connection", logger: logger, at: now.monotonicMs)
            if report {
                run(connection.machine.invalidMessageReceived(ProtocolError(
                    .rateLimited, "More than \(configuration.messageLimit.burst) messages in \(Int(configuration.messageLimit.period)) s; the extra ones were dropped. Send fewer, larger updates.")),
                    on: connection)
            }
            return 0
        }
        if connection.incomingIsBinary {
            audioReceived(message, on: connection, at: now)
        } else {
            switch ClientMessageDecoder.decode(message) {
            case .failure(let error):
                run(connection.machine.invalidMessageReceived(error), on: connection)
            case .success(let envelope):
                run(messageReceived(envelope, on: connection, at: now), on: connection)
            }
        }
        return 0
    }

    private func messageReceived(_ envelope: ClientEnvelope, on connection: InterviewConnection,
                                 at now: ClockReading) -> [InterviewAction] {
        switch envelope.message {
        case .sessionStart(let request) where !connection.machine.isAwaitingStart:
            // Already started or ended: the machine answers without needing a plan or a balance.
            return connection.machine.start(request, requestID: envelope.id, sessionID: "", plan: nil, balanceMs: 0, at: now)
        case .sessionStart(let request):
            if let refusal = liveSessionLimitRefusal(accountID: connection.accountID, requestID: envelope.id) { return refusal }
            let sessionID = SecureRandom.identifier()
            // The plan is a value: the session keeps this version of the prompts even if they are edited meanwhile.
            let plan = prompts.current.plan(forTrack: request.trackID, seed: UInt64(sessionID.prefix(16), radix: 16) ?? 0)
            // A primary-key read, like the token check; settlement keeps it current within a second.
            let balance: Int64
            do {
                balance = try store.balance(accountID: connection.accountID)
            } catch {
                logger.error("could not read a balance", metadata: ["error": "\(error)"])
                return connection.machine.invalidMessageReceived(ProtocolError(
                    .internalError, "Your minute balance could not be read; please try again.", requestID: envelope.id))
            }
            let resumeToken = SecureRandom.token()
            let actions = connection.machine.start(request, requestID: envelope.id, sessionID: sessionID,
                                                   plan: plan, balanceMs: balance, resumeToken: resumeToken, at: now)
            connection.resumeToken = resumeToken
            if connection.machine.isLive { voiceSessionStarted(request, sessionID: sessionID, on: connection) }
            return actions
        case .sessionResume(let sessionID, let token):
            return resume(sessionID: sessionID, token: token, requestID: envelope.id, on: connection, at: now)
        case .playback(let questionID, let playing):
            return connection.machine.playbackChanged(questionID: questionID, playing: playing, requestID: envelope.id, at: now)
        case .answerText(let text):
            return connection.machine.answerTextReceived(text, requestID: envelope.id, at: now)
        case .transcriptPartial(let text, let questionID):
            return connection.machine.transcriptReceived(text, isFinal: false, questionID: questionID, requestID: envelope.id, at: now)
        case .transcriptFinal(let text, let questionID):
            return connection.machine.transcriptReceived(text, isFinal: true, questionID: questionID, requestID: envelope.id, at: now)
        case .answerDone:
            return connection.machine.answerDone(requestID: envelope.id, at: now)
        case .sessionEnd:
            return connection.machine.endSession(requestID: envelope.id, at: now)
        }
    }

    /// `too_many_sessions` when the account already has as many live sessions as it may (one waiting for resume
    /// counts: it still holds its machine and may come back).
    private func liveSessionLimitRefusal(accountID: String, requestID: String?) -> [InterviewAction]? {
        let limit = configuration.maxLiveSessionsPerAccount
        guard limit > 0 else { return nil }
        let live = interviews.values.count { $0.accountID == accountID && $0.machine.isLive }
            + suspended.values.count { $0.connection.accountID == accountID }
        guard live >= limit else { return nil }
        refusals.note("live-sessions-per-account", logger: logger, at: MonotonicClock.now().monotonicMs)
        return [.send(.error(ProtocolError(.tooManySessions,
                                           "Your account already has \(limit) interviews running; end one before starting another.",
                                           requestID: requestID)))]
    }

    /// Voice sessions get a voice activity detector, and a recorder when the candidate consented.
    private func voiceSessionStarted(_ request: SessionStartRequest, sessionID: String, on connection: InterviewConnection) {
        guard request.mode == .voice else { return }
        connection.detector = VoiceActivityDetector(sampleRate: request.sampleRate)
        if request.record, let file = RecordingFiles.file(forSession: sessionID, dataDirectory: configuration.dataDirectory) {
            connection.recorder = SessionRecorder(file: file, sampleRate: request.sampleRate, logger: logger)
        }
    }

    /// A binary frame: the machine checks and counts it; an accepted frame goes to the recording and the detector,
    /// whose speech events go back to the machine.
    private func audioReceived(_ frame: Data, on connection: InterviewConnection, at now: ClockReading) {
        let (actions, accepted) = connection.machine.audioReceived(byteCount: frame.count, at: now)
        run(actions, on: connection)
        guard accepted else { return }
        connection.recorder?.append(frame)
        guard var detector = connection.detector else { return }
        if transcriber != nil { connection.speechBuffer.append(frame) }
        let events = detector.process(frame)
        connection.machine.clippingChanged(detector.lastClippedFraction > 0.01)
        connection.detector = detector
        for event in events {
            switch event {
            case .speechStarted(let audioMs):
                trimSpeechBuffer(connection, keepingFrom: audioMs - 300, rate: detector.sampleRate)
                run(connection.machine.speechStarted(atAudioMs: audioMs, at: now), on: connection)
            case .speechStopped(let audioMs):
                run(connection.machine.speechStopped(atAudioMs: audioMs, at: now), on: connection)
                transcribeSpeech(connection, rate: detector.sampleRate, endingAt: detector.processedMs)
            }
        }
        if transcriber != nil, !detector.isSpeaking {
            // Between stretches of speech keep only a lead-in: long enough to hold speech the detector has not yet
            // confirmed (it needs 400 ms of voice) plus a little before it.
            let leadIn = Int64(detector.settings.minimumSpeechMs + detector.settings.hangoverMs + 300)
            trimSpeechBuffer(connection, keepingFrom: detector.processedMs - leadIn, rate: detector.sampleRate)
        }
    }

    /// Drops buffered audio before `startMs` (session audio time).
    private func trimSpeechBuffer(_ connection: InterviewConnection, keepingFrom startMs: Int64, rate: Int) {
        let dropMs = startMs - connection.speechBufferStartMs
        guard dropMs > 0 else { return }
        let dropBytes = min(connection.speechBuffer.count, Int(dropMs) * rate / 1000 * 2)
        connection.speechBuffer.removeFirst(dropBytes)
        connection.speechBufferStartMs += Int64(dropBytes / 2) * 1000 / Int64(rate)
    }

    /// Sends the stretch of speech that just ended to the transcriber; its text comes back as a final transcript
    /// of the question it was spoken to.
    private func transcribeSpeech(_ connection: InterviewConnection, rate: Int, endingAt endMs: Int64) {
        guard let transcriber, let questionID = connection.machine.currentQuestionID, !connection.speechBuffer.isEmpty else { return }
        let audio = WAVFile(sampleRate: rate, pcm16: connection.speechBuffer)
        connection.speechBuffer.removeAll(keepingCapacity: true)
        connection.speechBufferStartMs = endMs
        connection.machine.serverTranscriptionStarted()
        let serial = connection.serial
        transcriber.transcribe(audio) { [weak self, completions] result in
            completions.post { [weak self] in
                guard let self, let connection = self.interviews.values.first(where: { $0.serial == serial }) else { return }
                var text: String?
                switch result {
                case .success(let heard): text = heard
                case .failure(let error): self.logger.warning("transcription failed", metadata: ["error": "\(error)"])
                }
                self.run(connection.machine.serverTranscriptionFinished(text, questionID: questionID, at: MonotonicClock.now()),
                         on: connection)
            }
        }
    }

    private func interviewWriteable(_ wsi: OpaquePointer) -> Int32 {
        guard let connection = interviews[wsi] else { return 0 }
        if let frame = connection.dequeue() {
            guard LWS.write(wsi, frame, LWS_WRITE_TEXT) else { return -1 }
            if connection.hasPendingOutput { lws_callback_on_writable(wsi) }
            return 0
        }
        if let close = connection.closeAfterFlush {
            LWS.setCloseReason(wsi, code: close.code, reason: close.reason)
            return -1
        }
        return 0
    }

    private func timerFired(_ wsi: OpaquePointer) {
        guard let connection = interviews[wsi] else { return }
        let now = MonotonicClock.now()
        run(connection.machine.timerFired(at: now), on: connection)
        settleIfDue(at: now)
        recheckTokensIfDue(at: now)
        if !connection.machine.isFinished {
            lws_set_timer_usecs(wsi, lws_usec_t(configuration.tickIntervalMs * 1000))
        }
    }

    private func interviewClosed(_ wsi: OpaquePointer) {
        guard let connection = interviews.removeValue(forKey: wsi) else { return }
        let now = MonotonicClock.now()
        // A live session waits for its client to come back, unless the server itself is going away.
        if connection.machine.isLive, let sessionID = connection.machine.sessionID, !isStopRequested,
           configuration.resumeGraceSeconds > 0, !connection.endsWithoutResume {
            connection.machine.clientDisconnected(at: now)
            suspended[sessionID] = (connection, now.monotonicMs + Int64(configuration.resumeGraceSeconds * 1000))
            return
        }
        run(connection.machine.clientClosed(at: now), on: connection)
    }

    // MARK: Resuming

    /// Hands a suspended session to the new connection when the account and the token match.
    private func resume(sessionID: String, token: String, requestID: String?, on connection: InterviewConnection,
                        at now: ClockReading) -> [InterviewAction] {
        let refused = connection.machine.invalidMessageReceived(ProtocolError(
            .resumeFailed, "There is no session \(sessionID) waiting to be resumed on your account; start a new one.",
            requestID: requestID))
        guard connection.machine.isAwaitingStart, let (old, _) = suspended[sessionID], old.accountID == connection.accountID,
              let expected = old.resumeToken,
              Digest.constantTimeEqual(Data(expected.utf8), Data(token.utf8)) else { return refused }
        suspended[sessionID] = nil
        connection.machine = old.machine
        connection.detector = old.detector
        connection.recorder = old.recorder
        connection.resumeToken = old.resumeToken
        connection.speechBuffer = Data()
        logger.info("session resumed", metadata: ["session.id": "\(sessionID)"])
        return connection.machine.clientResumed(requestID: requestID, at: now)
    }

    /// Ends suspended sessions whose grace period is over (or all of them, when the server stops).
    func expireSuspendedSessions(all: Bool = false) {
        let now = MonotonicClock.now()
        for (sessionID, entry) in suspended where all || entry.deadlineMs <= now.monotonicMs {
            suspended[sessionID] = nil
            run(entry.connection.machine.clientClosed(at: now), on: entry.connection)
        }
    }

    /// Carries out what the state machine asked for, in order.
    private func run(_ actions: [InterviewAction], on connection: InterviewConnection) {
        defer { if connection.outputOverflowed { closeUnread(connection) } }
        for action in actions {
            switch action {
            case .send(let message):
                // Past the queue's bound the client gets nothing more; records and charges still run.
                guard !connection.outputOverflowed else { continue }
                guard connection.enqueue(message.encoded()) else {
                    connection.outputOverflowed = true
                    continue
                }
                lws_callback_on_writable(connection.wsi)
            case .record(let record):
                log(record)
                if case .sessionEnded = record {
                    connection.recorder?.finish()
                    connection.recorder = nil
                }
                let accountID = connection.accountID
                storeWriter.async { [store, logger] in
                    do {
                        try store.apply(record, accountID: accountID)
                    } catch {
                        logger.error("could not store a session record", metadata: ["error": "\(error)"])
                    }
                }
            case .settleUsage(let sessionID, let ms):
                let charge = UsageCharge(sessionID: sessionID, accountID: connection.accountID, ms: ms)
                storeWriter.async { [weak self] in self?.writeCharges([charge]) }
            case .close(let code, let reason):
                connection.closeAfterFlush = (code, reason)
                lws_callback_on_writable(connection.wsi)
            }
        }
    }

    /// The client has left more than `maxQueuedOutputBytes` unread: the connection is closed now (its socket is
    /// full, so nothing queued would reach it), and its session waits for resume as after any drop.
    private func closeUnread(_ connection: InterviewConnection) {
        guard interviews[connection.wsi] === connection else { return }
        refusals.note("queued-output", logger: logger, at: MonotonicClock.now().monotonicMs)
        LWS.setCloseReason(connection.wsi, code: 1008, reason: "not reading")
        interviewClosed(connection.wsi)
        lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, jestry_timeout_kill_async())
    }

    private func log(_ record: SessionRecord) {
        switch record {
        case .sessionStarted(let sessionID, let trackID, let mode, _, _):
            logger.info("session started", metadata: ["session.id": "\(sessionID)", "track": "\(trackID)", "mode": "\(mode.rawValue)"])
        case .questionAsked(let sessionID, let question, _):
            logger.debug("question asked", metadata: ["session.id": "\(sessionID)", "template": "\(question.template.id)",
                                                       "template.version": "\(question.template.version)"])
        case .answerGiven, .answerDraft:
            break
        case .sessionEnded(let sessionID, let reason, let summary, _, _):
            logger.info("session ended", metadata: ["session.id": "\(sessionID)", "reason": "\(reason.rawValue)",
                                                     "used_ms": "\(summary.usedMs)"])
        }
    }

    // MARK: Minutes

    /// About once a second: charge every live session's metered time in one transaction, then tell each session
    /// its account's new balance.
    private func settleIfDue(at now: ClockReading) {
        guard !settlementInFlight, now.monotonicMs - lastSettlementMs >= configuration.settlementIntervalMs else { return }
        lastSettlementMs = now.monotonicMs
        var charges: [UsageCharge] = []
        for connection in interviews.values {
            guard let sessionID = connection.machine.sessionID else { continue }
            let ms = connection.machine.usageToSettle(at: now)
            if ms > 0 { charges.append(UsageCharge(sessionID: sessionID, accountID: connection.accountID, ms: ms)) }
        }
        guard !charges.isEmpty else { return }
        settlementInFlight = true
        storeWriter.async { [weak self, charges] in
            guard let self else { return }
            let balances = writeCharges(charges)
            completions.post { [weak self] in self?.balancesSettled(balances) }
        }
    }

    /// Writes charges (and any left over from a failed attempt). Store-writer queue only.
    @discardableResult
    private func writeCharges(_ charges: [UsageCharge]) -> [String: Int64] {
        let batch = unsettledCharges + charges
        do {
            let balances = try store.settle(batch, at: configuration.clock())
            unsettledCharges = []
            return balances
        } catch {
            unsettledCharges = batch
            logger.error("could not settle usage; will retry", metadata: ["error": "\(error)", "charges": "\(batch.count)"])
            return [:]
        }
    }

    private func balancesSettled(_ balances: [String: Int64]) {
        settlementInFlight = false
        let now = MonotonicClock.now()
        for connection in interviews.values {
            guard let balance = balances[connection.accountID] else { continue }
            run(connection.machine.balanceUpdated(balance, at: now), on: connection)
        }
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

/// The C callback libwebsockets calls for protocol 0: finds the `ServiceLoop` through the context's user pointer.
func jestryServiceCallback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                           _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let owner = lws_context_user(context) else {
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
    return Unmanaged<ServiceLoop>.fromOpaque(owner).takeUnretainedValue().handle(wsi, reason, user, input, length)
}

// MARK: Re-checking tokens of long interviews

extension ServiceLoop {
    /// At most every `tokenRecheckInterval`: checks on a worker thread that each interview's token is still valid,
    /// and closes (1008, after any queued events) the connections whose token was logged out, expired or deleted. A database error keeps the
    /// connection: a transient failure must not end interviews.
    func recheckTokensIfDue(at now: ClockReading) {
        let interval = Int64(configuration.tokenRecheckInterval * 1000)
        guard !tokenWatch.checkInFlight, now.monotonicMs - tokenWatch.lastCheckMs >= interval else { return }
        tokenWatch.lastCheckMs = now.monotonicMs
        tokenWatch.prune(keeping: interviews.keys)
        let checks = interviews.compactMap { wsi, connection in
            tokenWatch.token(for: wsi).map { TokenCheck(connection: ObjectIdentifier(connection),
                                                        accountID: connection.accountID, token: $0) }
        }
        guard !checks.isEmpty else { return }
        tokenWatch.checkInFlight = true
        workers.async { [store, configuration, completions] in
            var revoked = Set<ObjectIdentifier>()
            for check in checks {
                do {
                    let now = configuration.clock()
                    if try store.accountID(forToken: check.token, at: now) == check.accountID {
                        // A live interview is activity: it keeps the token from idling out.
                        try store.touchToken(check.token, at: now, idleTimeout: configuration.tokenIdleTimeout)
                    } else {
                        revoked.insert(check.connection)
                    }
                } catch {
                    continue
                }
            }
            completions.post { [weak self, revoked] in self?.tokensRechecked(revoked: revoked) }
        }
    }

    private func tokensRechecked(revoked: Set<ObjectIdentifier>) {
        tokenWatch.checkInFlight = false
        for (wsi, connection) in interviews where revoked.contains(ObjectIdentifier(connection)) {
            guard connection.closeAfterFlush == nil else { continue }
            logger.info("closing an interview whose token is no longer valid", metadata: ["account.id": "\(connection.accountID)"])
            // Closing ends a live session as `disconnected` at once (no resume: the sign-in is gone), so what was
            // said is stored and the time is charged.
            connection.endsWithoutResume = true
            connection.closeAfterFlush = (1008, "sign-in no longer valid")
            lws_callback_on_writable(wsi)
        }
    }
}

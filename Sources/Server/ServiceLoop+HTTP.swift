import CMaskedFrames
import CWebSockets
import Foundation

/// HTTP on a service thread: the JSON API (handlers run on worker threads), static files, recordings, and the
/// answers to requests that cannot be trusted or parsed.
extension ServiceLoop {
    func httpBodyReceived(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        jestry_masked_frames_request_read(lws_get_socket_fd(wsi), UnsafeMutableRawPointer(wsi))  // body, not a head
        guard let exchange = exchanges[wsi], exchange.response == nil, let input else { return 0 }
        exchange.request.body.append(input.assumingMemoryBound(to: UInt8.self), count: length)
        return exchange.request.body.count > bodyLimit(path: exchange.request.path) ? -1 : 0  // it lied about its length
    }

    /// A request without a body was dispatched when it started; lws still reports the completion of its
    /// (explicitly) empty body, which must not run the handler a second time.
    func httpBodyCompleted(_ wsi: OpaquePointer) -> Int32 {
        if let exchange = exchanges[wsi], exchange.response == nil, !exchange.request.isDispatchedBeforeBody { dispatch(exchange) }
        return 0
    }

    func unparsedRequestClosed(_ wsi: OpaquePointer) -> Int32 {
        unparsedRequests[wsi] = nil
        jestry_masked_frames_unwatch(lws_get_socket_fd(wsi), UnsafeMutableRawPointer(wsi))  // before lws closes it
        return 0
    }

    /// An HTTP connection is closing; lws closes its socket after this. When lws never finished reading a request
    /// on it, lws refused it before any callback (too large, too slow, malformed; or the client left): logged, as
    /// every refusal is, since lws gives the engine nothing else to answer with.
    func httpConnectionClosed(_ wsi: OpaquePointer) -> Int32 {
        let fd = lws_get_socket_fd(wsi)
        if exchanges[wsi] == nil, jestry_masked_frames_head_unfinished(fd, UnsafeMutableRawPointer(wsi)) != 0 {
            refusals.note("unfinished-request-head", logger: logger, at: now.monotonicMs)
        }
        jestry_masked_frames_unwatch(fd, UnsafeMutableRawPointer(wsi))
        return 0
    }


    func httpRequestStarted(_ wsi: OpaquePointer, path: String) -> Int32 {
        jestry_masked_frames_request_read(lws_get_socket_fd(wsi), UnsafeMutableRawPointer(wsi))
        let method = LWS.method(wsi)
        if let refusal = Self.framingRefusal(method: method, contentLength: LWS.header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH),
                                             transferEncoding: LWS.header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)) {
            // The body's end cannot be trusted, so neither can anything after it on this connection.
            refusals.note("http-framing", logger: logger, at: now.monotonicMs)
            respondAlone(wsi, method: method, path: path, refusal)
            return 0
        }
        if path != "/v1" && !path.hasPrefix("/v1/") && path != "/metrics" {
            return serveStatic(wsi, method: method, path: path)
        }
        if let sessionID = Self.recordingSessionID(path) {
            guard method == "GET" || method == "HEAD" else {
                respondAlone(wsi, method: method, path: path, .methodNotAllowed(method, path, allow: "GET, HEAD"))
                return 0
            }
            return serveRecording(wsi, sessionID: sessionID)
        }
        if let sessionID = wholeVideoSessionID(method: method, path: path, wsi: wsi) { return serveVideo(wsi, sessionID: sessionID) }
        let request = HTTPRequest.read(from: wsi, method: method, path: path, serverPort: port)
        let exchange = HTTPExchange(id: nextSerial, request: request, startedMs: now.monotonicMs)
        nextSerial += 1
        exchanges[wsi] = exchange
        let declaredLength = request.declaredContentLength
        if declaredLength > bodyLimit(path: path) {
            respond(exchange, wsi, bodyTooLarge(path: path, declaredLength: declaredLength))
        } else if declaredLength == 0 || method == "GET" || method == "HEAD" {
            dispatch(exchange)
        }
        // Otherwise the body arrives in LWS_CALLBACK_HTTP_BODY and is dispatched at BODY_COMPLETION.
        return 0
    }

    func serveStatic(_ wsi: OpaquePointer, method: String, path: String) -> Int32 {
        guard method == "GET" || method == "HEAD" else {
            respondAlone(wsi, method: method, path: path, .methodNotAllowed(method, path, allow: "GET, HEAD"))
            return 0
        }
        guard let file = services.staticFiles.file(for: path) else {
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
    func serveRecording(_ wsi: OpaquePointer, sessionID: String) -> Int32 {
        let method = LWS.method(wsi)
        let path = "/v1/sessions/\(sessionID)/recording"
        let token = Credentials.token(authorization: LWS.header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION),
                                      cookie: LWS.header(wsi, WSI_TOKEN_HTTP_COOKIE))
        guard let token, let accountID = try? services.store.accountID(forToken: token, at: configuration.clock()) else {
            respondAlone(wsi, method: method, path: path, .error(401, "unauthorized",
                                                                 "Sign in first: send the token from POST /v1/login as \"Authorization: Bearer …\" or the session cookie."))
            return 0
        }
        // Someone else's session and a session without a recording look the same: 404.
        guard let file = RecordingFiles.file(forSession: sessionID, dataDirectory: configuration.dataDirectory),
              (try? services.store.sessionBelongs(id: sessionID, to: accountID)) == true,
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
    func unparsedRequestReceived(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard unparsedRequests[wsi] == nil else { return 0 }  // answered already; the rest is ignored
        let bytes = input.map { Data(bytes: $0, count: min(length, 8192)) } ?? Data()
        unparsedRequests[wsi] = UnparsedRequest.response(for: bytes, allowedMethods: services.routes.allowedMethods(path:))
        refusals.note("unparsed-http", logger: logger, at: now.monotonicMs)
        lws_callback_on_writable(wsi)
        return 0
    }

    func unparsedRequestWriteable(_ wsi: OpaquePointer) -> Int32 {
        guard let response = unparsedRequests.removeValue(forKey: wsi) else { return 0 }
        _ = LWS.write(wsi, response.wireBytes(), LWS_WRITE_HTTP)
        return -1
    }

    /// Answers a request the service loop decides itself (no handler runs), e.g. a 404 for a static file.
    func respondAlone(_ wsi: OpaquePointer, method: String, path: String, _ response: HTTPResponse) {
        let exchange = HTTPExchange(id: nextSerial, request: HTTPRequest(method: method, path: path),
                                    startedMs: now.monotonicMs)
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
        let now = now.monotonicMs
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
    func dispatch(_ exchange: HTTPExchange) {
        let request = exchange.request
        let id = exchange.id
        services.workers.async { [routes = services.routes, completions] in
            let response = routes.handle(request)
            completions.post { [weak self] in self?.deliver(response, toExchange: id) }
        }
    }

    func deliver(_ response: HTTPResponse, toExchange id: UInt64) {
        // The client may have gone while the handler ran; then there is no one to answer.
        guard let (wsi, exchange) = exchanges.first(where: { $0.value.id == id }) else { return }
        respond(exchange, wsi, response)
    }

    func respond(_ exchange: HTTPExchange, _ wsi: OpaquePointer, _ response: HTTPResponse) {
        exchange.response = response
        lws_callback_on_writable(wsi)
    }

    func httpWriteable(_ wsi: OpaquePointer) -> Int32 {
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
}

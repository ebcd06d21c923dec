import CMaskedFrames
import CWebSockets
import Foundation
import Interview
import Security
import Store

/// The interview WebSocket on a service thread: each callback hands its event to the connection's state machine
/// and runs what the machine asks for (`run`). The driver decides nothing about the session itself.
extension ServiceLoop {
    // MARK: Opening

    /// Runs before the upgrade is accepted: only `/v1/interview` with a valid token becomes a WebSocket, within the
    /// connection limits.
    func confirmUpgrade(_ wsi: OpaquePointer) -> Int32 {
        let path = LWS.header(wsi, WSI_TOKEN_GET_URI) ?? ""
        guard path == "/v1/interview" else {
            return refuseUpgrade(wsi, .error(404, "not_found", "The interview WebSocket is at /v1/interview."))
        }
        if services.drain.isDraining {
            var response = HTTPResponse.error(503, "server_draining",
                                              "This server is restarting and starts no new interviews; connect again to reach another one.")
            response.headers.append((name: "retry-after:", value: "1"))
            return refuseUpgrade(wsi, response)
        }
        // Cross-site WebSocket hijacking: a page on another site must not ride on the browser's cookie.
        guard services.originPolicy.allows(origin: LWS.header(wsi, WSI_TOKEN_ORIGIN), host: LWS.header(wsi, WSI_TOKEN_HOST),
                                           port: port) else {
            return refuseUpgrade(wsi, .error(403, "origin_not_allowed",
                                             "This page's origin may not open the interview; use the engine's own site."))
        }
        let token = Credentials.token(authorization: LWS.header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION),
                                      cookie: LWS.header(wsi, WSI_TOKEN_HTTP_COOKIE))
        // A single primary-key read; WAL readers never wait for the writer, so this does not stall the loop.
        guard let token, let accountID = try? services.store.accountID(forToken: token, at: configuration.clock()) else {
            return refuseUpgrade(wsi, .error(401, "unauthorized",
                                             "Sign in first and send the token as \"Authorization: Bearer …\" or the session cookie."))
        }
        let address = LWS.peerAddress(wsi) ?? "unknown"
        if let refusal = services.connections.open(accountID: accountID, address: address) {
            refusals.note("interview-connections", logger: logger, at: now.monotonicMs)
            let (count, whose) = refusal == .address ? (services.connections.perAddress, "address")
                                                     : (services.connections.perAccount, "account")
            return refuseUpgrade(wsi, .error(429, "too_many_connections",
                                             "Your \(whose) already has \(count) interview connections open; close one first."))
        }
        pendingUpgrades[wsi] = (accountID, address)
        countedConnections[wsi] = (accountID, address)
        tokenWatch.opened(wsi, token: token)
        services.workers.async { [store = services.store, configuration] in  // opening is a use of the token (a write)
            try? store.touchToken(token, at: configuration.clock(), idleTimeout: configuration.tokenIdleTimeout)
        }
        return 0
    }

    /// Answers the upgrade request with a plain HTTP error instead of switching protocols. The status line is
    /// written whole: lws's header helpers answer `HTTP/1.0` at this stage, which strict WebSocket clients reject
    /// without reading the body.
    func refuseUpgrade(_ wsi: OpaquePointer, _ response: HTTPResponse) -> Int32 {
        guard LWS.write(wsi, response.wireBytes(), LWS_WRITE_HTTP_FINAL) else { return -1 }
        return 1
    }

    func interviewOpened(_ wsi: OpaquePointer) -> Int32 {
        guard let (accountID, address) = pendingUpgrades.removeValue(forKey: wsi) else {
            LWS.setCloseReason(wsi, code: 1008, reason: "not authenticated")
            return -1
        }
        let connection = InterviewConnection(serial: nextSerial, wsi: wsi, accountID: accountID, address: address,
                                             settings: services.machineSettings, openedAt: now,
                                             maxQueuedBytes: configuration.maxQueuedOutputBytes,
                                             messageLimit: configuration.messageLimit)
        nextSerial += 1
        interviews[wsi] = connection
        interviewsBySerial[connection.serial] = connection
        services.metrics.connections.increment()
        switch jestry_masked_frames_established(lws_get_socket_fd(wsi), UnsafeMutableRawPointer(wsi), jestryUnmaskedFrame) {
        case 0: break
        case 1:  // sent with the upgrade request, so lws has read it already and will hand it over
            connection.ignoresFrames = true
            unmaskedFrameReceived(wsi)
        default: logger.warning("the mask check does not watch this connection (socket number past the open-file limit, or no memory)")
        }
        // Upgraded before the drain began on this thread: told at once, like every other connection.
        if let deadline = services.drain.deadlineMs { run(connection.machine.serverDraining(until: deadline, at: now), on: connection) }
        scheduleDeadline(of: connection)
        return 0
    }

    // MARK: Receiving

    func interviewReceived(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard let connection = interviews[wsi] else { return -1 }
        guard !connection.ignoresFrames else { return 0 }
        let now = self.now  // one reading of the clock per frame
        connection.liveness.heard(at: now.monotonicMs)
        switch connection.assemble(input, length, isFirstFragment: !connection.assembling, isBinary: lws_frame_is_binary(wsi) != 0,
                                   isLast: lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0,
                                   limits: (configuration.maxTextMessageBytes, configuration.maxBinaryMessageBytes)) {
        case .incomplete:
            return 0
        case .tooLarge(let reason):
            LWS.setCloseReason(wsi, code: 1009, reason: reason)
            return -1
        case .text(let frame):
            guard withinBudget(connection) else { return 0 }
            run(connection.machine.textFrameReceived(frame, at: now), on: connection)
        case .binary(let frame):
            services.metrics.audioFramesIn.increment()
            // Audio is bounded by the machine (real time); a binary frame where none is expected spends the budget.
            guard connection.machine.acceptsAudio || withinBudget(connection) else {
                services.metrics.audioFramesDropped.increment()
                return 0
            }
            run(countingDrops(connection.machine.audioFrameReceived(frame, at: now)), on: connection)
        }
        return 0
    }

    /// A frame the machine did not pass on (no `forwardAudio`) was dropped.
    private func countingDrops(_ actions: [InterviewAction]) -> [InterviewAction] {
        if !actions.contains(where: { if case .forwardAudio = $0 { true } else { false } }) {
            services.metrics.audioFramesDropped.increment()
        }
        return actions
    }

    /// Spends one message of the connection's budget; past it the message is dropped, with one `rate_limited` error
    /// a second, which also bounds the error replies a misbehaving client can make the server queue.
    private func withinBudget(_ connection: InterviewConnection) -> Bool {
        let nowMs = now.monotonicMs
        guard case .refused(let report) = connection.messageBudget.take(at: nowMs) else { return true }
        refusals.note("messages-per-connection", logger: logger, at: nowMs)
        if report {
            let limit = configuration.messageLimit
            run(connection.machine.invalidMessageReceived(ProtocolError(
                .rateLimited, "More than \(limit.burst) messages in \(Int(limit.period)) s; the extra ones were dropped. Send fewer, larger updates.")),
                on: connection)
        }
        return false
    }

    /// The client sent a frame without a mask (RFC 6455 §5.1), which the mask check kept from lws: what is queued
    /// goes out, then the connection closes with 1002, and its session waits for resume as after any drop.
    func unmaskedFrameReceived(_ wsi: OpaquePointer) {
        guard let connection = interviews[wsi] else { return }
        refusals.note("unmasked-frame", logger: logger, at: now.monotonicMs)
        closeAfterFlush(connection, code: 1002, reason: "client frames must be masked")
    }

    /// The client sent a close frame. libwebsockets echoes its code, and lets codes above 4999 through although
    /// RFC 6455 §7.4 reserves none there: those are answered with 1002 (protocol error) instead, by rewriting the
    /// echoed code in place (`input` is libwebsockets' own receive buffer).
    func peerInitiatedClose(_ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        guard let input, length >= 2 else { return length == 1 ? -1 : 0 }  // a 1-byte close payload is malformed
        let bytes = input.assumingMemoryBound(to: UInt8.self)
        let code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        if code >= 5000 {
            bytes[0] = UInt8(1002 >> 8)
            bytes[1] = UInt8(1002 & 0xff)
        }
        return 0
    }

    // MARK: Sending and closing

    func interviewWriteable(_ wsi: OpaquePointer) -> Int32 {
        guard let connection = interviews[wsi] else {
            guard let close = detachedSockets.removeValue(forKey: wsi) else { return 0 }
            LWS.setCloseReason(wsi, code: close.code, reason: close.reason)
            return -1
        }
        if connection.pingDue {
            connection.pingDue = false
            guard LWS.write(wsi, Self.pingPayload, LWS_WRITE_PING) else { return -1 }
            if connection.hasPendingOutput { lws_callback_on_writable(wsi) }
            return 0
        }
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

    /// The socket closed. A live session waits for resume (unless the server is stopping, there is no grace
    /// period, or its sign-in was revoked); the machine decides, the registry keeps it.
    func interviewClosed(_ wsi: OpaquePointer) -> Int32 {
        jestry_masked_frames_unwatch(lws_get_socket_fd(wsi), UnsafeMutableRawPointer(wsi))  // before lws closes the socket
        guard let connection = interviews.removeValue(forKey: wsi) else { return 0 }
        interviewsBySerial[connection.serial] = nil
        services.metrics.connections.decrement()
        let resumable = !isStopRequested && configuration.resumeGraceSeconds > 0 && !connection.endsWithoutResume
        run(connection.machine.clientDisconnected(at: now, resumable: resumable), on: connection)
        return 0
    }

    /// The client has left more than `maxQueuedOutputBytes` unread: the connection is closed now (its socket is
    /// full, so nothing queued would reach it), and its session waits for resume as after any drop.
    private func closeUnread(_ connection: InterviewConnection) {
        guard interviews[connection.wsi] === connection else { return }
        refusals.note("queued-output", logger: logger, at: now.monotonicMs)
        LWS.setCloseReason(connection.wsi, code: 1008, reason: "not reading")
        _ = interviewClosed(connection.wsi)
        lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, jestry_timeout_kill_async())
    }

    // MARK: Running the machine's actions

    /// Carries out what the state machine asked for, in order, then sets the connection's next deadline.
    func run(_ actions: [InterviewAction], on connection: InterviewConnection) {
        defer {
            if connection.outputOverflowed { closeUnread(connection) }
            scheduleDeadline(of: connection)
        }
        for action in actions {
            switch action {
            case .send(let message): send(message, on: connection)
            case .record(let record): persist(record, of: connection)
            case .settleUsage(let sessionID, let ms): settleFinal(UsageCharge(sessionID: sessionID, accountID: connection.accountID, ms: ms))
            case .close(let code, let reason): closeAfterFlush(connection, code: code, reason: reason)
            case .requestSessionContext(let request, let requestID): startSession(request, requestID: requestID, on: connection)
            case .requestResume(let sessionID, let token, let requestID): resume(sessionID, token: token, requestID: requestID, on: connection)
            case .forwardAudio(let frame): forward(frame, on: connection)
            case .transcribe(let questionID, let final): transcribe(questionID: questionID, final: final, on: connection)
            case .park(let sessionID): park(connection, sessionID: sessionID)
            case .requestFollowUpWording(let request): requestFollowUpWording(request, on: connection)
            case .cancelModelRequest(let requestID): cancelModelRequest(requestID, on: connection)
            case .requestAnswerGrade(let request): requestAnswerGrade(request, on: connection)
            case .requestReportWriting(let request): requestReportWriting(request, on: connection)
            }
        }
    }

    private func send(_ message: ServerMessage, on connection: InterviewConnection) {
        // Past the queue's bound the client gets nothing more; records and charges still run.
        guard interviews[connection.wsi] === connection, !connection.outputOverflowed else { return }
        count(message, on: connection)
        guard connection.enqueue(message.encoded()) else {
            connection.outputOverflowed = true
            return
        }
        lws_callback_on_writable(connection.wsi)
    }

    private func closeAfterFlush(_ connection: InterviewConnection, code: UInt16, reason: String) {
        guard interviews[connection.wsi] === connection else { return }
        connection.closeAfterFlush = (code, reason)
        lws_callback_on_writable(connection.wsi)
    }

    private func persist(_ record: SessionRecord, of connection: InterviewConnection) {
        log(record, accountID: connection.accountID)
        switch record {
        case .sessionStarted(let sessionID, _, let mode, _, _):
            services.sessions.sessionStarted(sessionID, accountID: connection.accountID, on: self, serial: connection.serial)
            connection.sessionMode = mode
            services.metrics.liveSessions[mode]?.increment()
        case .sessionEnded(let sessionID, _, _, _, _):
            services.sessions.sessionEnded(sessionID, accountID: connection.accountID)
            if let mode = connection.sessionMode { services.metrics.liveSessions[mode]?.decrement() }
            if let recorder = connection.recorder {
                recorder.finish(pending: services.recordingsFinishing)
                connection.recorder = nil
            }
        case .questionAsked, .answerGiven, .answerDraft, .answerRescored, .reportWritten:
            break
        }
        services.writer.write(record, accountID: connection.accountID,
                              logger: sessionLogger(connection, sessionID: record.sessionID))
    }

    private func log(_ record: SessionRecord, accountID: String) {
        switch record {
        case .sessionStarted(let sessionID, let trackID, let mode, _, _):
            logger.info("session started", metadata: ["session.id": "\(sessionID)", "account.id": "\(accountID)",
                                                      "track": "\(trackID)", "mode": "\(mode.rawValue)", "thread": "\(index)"])
        case .questionAsked(let sessionID, let question, _):
            logger.debug("question asked", metadata: ["session.id": "\(sessionID)", "account.id": "\(accountID)",
                                                       "template": "\(question.template.id)",
                                                       "template.version": "\(question.template.version)"])
        case .answerGiven, .answerDraft, .answerRescored, .reportWritten:
            break
        case .sessionEnded(let sessionID, let reason, let summary, _, _):
            logger.info("session ended", metadata: ["session.id": "\(sessionID)", "account.id": "\(accountID)",
                                                    "reason": "\(reason.rawValue)", "used_ms": "\(summary.usedMs)"])
        }
    }

    // MARK: The requests the machine makes

    /// `requestSessionContext`: a fresh id, the track's plan, the balance and a resume token, within the account's
    /// limit of live sessions.
    private func startSession(_ request: SessionStartRequest, requestID: String?, on connection: InterviewConnection) {
        let limit = configuration.maxLiveSessionsPerAccount
        if limit > 0, services.sessions.liveSessions(accountID: connection.accountID) >= limit {
            refusals.note("live-sessions-per-account", logger: logger, at: now.monotonicMs)
            return run(connection.machine.startRefused(ProtocolError(
                .tooManySessions, "Your account already has \(limit) interviews running; end one before starting another.",
                requestID: requestID)), on: connection)
        }
        let sessionID = SecureRandom.identifier()
        // The plan is a value: the session keeps this version of the prompts even if they are edited meanwhile.
        let plan = services.prompts.current.plan(forTrack: request.trackID, seed: UInt64(sessionID.prefix(16), radix: 16) ?? 0)
        // A primary-key read, like the token check; settlement keeps it current within a second.
        let balance: Int64
        let modelProcessing: Bool
        do {
            guard let account = try services.store.account(id: connection.accountID) else {
                throw StoreError.accountNotFound(connection.accountID)
            }
            (balance, modelProcessing) = (account.balanceMs, account.modelProcessing)
        } catch {
            sessionLogger(connection).error("could not read a balance", metadata: ["error": "\(error)"])
            return run(connection.machine.startRefused(ProtocolError(
                .internalError, "Your minute balance could not be read; please try again.", requestID: requestID)), on: connection)
        }
        let resumeToken = ResumeToken.mint(node: configuration.nodeID)
        connection.resumeToken = resumeToken
        if request.mode == .voice { startVoice(request, sessionID: sessionID, on: connection) }
        run(connection.machine.start(request, requestID: requestID, sessionID: sessionID, plan: plan, balanceMs: balance,
                                     resumeToken: resumeToken,
                                     interviewer: modelProcessing ? services.model?.interviewer : nil, at: now),
            on: connection)
        if !connection.machine.isLive { stopVoice(on: connection) }  // refused after all (unknown track, no minutes)
    }

    /// `park`: the registry keeps the suspended session until a resume takes it or its grace period ends. Its
    /// recording is written out first: the audio so far is on disk meanwhile, and another thread may resume it.
    private func park(_ connection: InterviewConnection, sessionID: String) {
        connection.recorder?.flush()
        let deadline = now.monotonicMs + Int64(configuration.resumeGraceSeconds * 1000)
        services.sessions.park(connection, sessionID: sessionID, until: deadline)
    }

    /// `requestResume`: takes the parked session when the account and the token match, and hands its machine,
    /// detector, recording and speech buffer to this connection.
    ///
    /// A session still live on another connection is taken over: the client reconnects before the server has
    /// noticed the old connection is gone (its close may still wait on a busy thread, or never come from a
    /// half-open socket), and the token proves it is the same client. The thread serving the session closes the
    /// old connection and parks the session; then this thread takes it as above.
    private func resume(_ sessionID: String, token: String, requestID: String?, on connection: InterviewConnection,
                        takingOver: Bool = true) {
        let old: InterviewConnection
        switch services.sessions.takeParked(sessionID, accountID: connection.accountID, token: token, for: self,
                                           serial: connection.serial) {
        case .success(let parked):
            old = parked
        case .failure(let refusal):
            guard takingOver, let (owner, ownerSerial) = services.sessions.owner(of: sessionID) else {
                // Not parked even after the takeover: the connection serving it did not let it go for this proof.
                let reason = refusal == .notParked && !takingOver ? "takeover-refused" : refusal.rawValue
                logger.notice("session resume refused", metadata: ["session.id": "\(sessionID)", "account.id": "\(connection.accountID)",
                                                                 "reason": "\(reason)", "thread": "\(index)"])
                return run(connection.machine.resumeRefused(sessionID: sessionID, requestID: requestID), on: connection)
            }
            let (accountID, serial) = (connection.accountID, connection.serial)
            owner.completions.post { [weak owner, weak self] in
                owner?.detachForResume(sessionID, serial: ownerSerial, accountID: accountID, token: token)
                self?.completions.post { [weak self] in self?.resumeAfterTakeover(sessionID, token: token, requestID: requestID, serial: serial) }
            }
            return
        }
        connection.adopt(old)
        let next = ResumeToken.mint(node: configuration.nodeID)
        connection.resumeToken = next
        logger.info("session resumed", metadata: ["session.id": "\(sessionID)", "account.id": "\(connection.accountID)",
                                                  "thread": "\(index)"])
        run(connection.machine.clientResumed(requestID: requestID, resumeToken: next, at: now), on: connection)
    }

    /// The old connection has been detached (or was gone already): the resume is tried once more, without a
    /// second takeover, if the connection that asked is still open.
    private func resumeAfterTakeover(_ sessionID: String, token: String, requestID: String?, serial: UInt64) {
        guard let connection = interviewsBySerial[serial] else { return }
        resume(sessionID, token: token, requestID: requestID, on: connection, takingOver: false)
    }

    /// On the thread that serves `sessionID` on its connection `serial`: a resume with the session's own token
    /// arrived on a newer connection, so this one is closed (4001 `resumed elsewhere`) and its session parked, as
    /// after any drop.
    func detachForResume(_ sessionID: String, serial: UInt64, accountID: String, token: String) {
        guard let connection = interviewsBySerial[serial], connection.machine.sessionID == sessionID, connection.machine.isLive,
              connection.accountID == accountID, let expected = connection.resumeToken,
              Digest.constantTimeEqual(Data(expected.utf8), Data(token.utf8)) else { return }
        logger.info("session taken over by a resume", metadata: ["session.id": "\(sessionID)", "thread": "\(index)"])
        let wsi = connection.wsi
        _ = interviewClosed(wsi)
        // Told why when the socket still works (its queued events are dropped: the new connection gets the
        // session's state afresh); a half-open one is cut off after a few seconds.
        detachedSockets[wsi] = (4001, "resumed elsewhere")
        lws_callback_on_writable(wsi)
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, 5)
    }

    /// Ends parked sessions whose grace period is over. Any thread may take one: ownership moves with it.
    func expireParkedSessions() {
        for connection in services.sessions.takeExpired(at: now.monotonicMs) {
            run(connection.machine.clientClosed(at: now), on: connection)
        }
    }
}

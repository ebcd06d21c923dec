import Foundation
import OutboundHTTP
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The client against real loopback sockets: streaming, cancellation (also racing completion), every limit,
/// refusals, error statuses, many transfers at once, connection reuse and the key's one place.
@Suite struct OutboundHTTPClientTests {
    static let limits = OutboundLimits(total: 20, firstByte: 10, idle: 10, maxResponseBytes: 1 << 20)

    static func get(_ url: URL, limits: OutboundLimits = limits) -> OutboundRequest {
        OutboundRequest(method: .get, url: url, limits: limits)
    }

    /// Waits until `condition` holds, for up to 10 s.
    static func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<1_000 {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    @Test func streamedPiecesArriveBeforeTheResponseEnds() throws {
        let release = DispatchSemaphore(value: 0)
        let server = try LoopbackHTTPServer { _, connection in
            connection.sendChunkedHead()
            connection.sendChunk("data: first\n\n")
            // The rest only once the client has shown the first piece to its receiver.
            _ = release.wait(timeout: .now() + 10)
            connection.sendChunk("data: second\n\n")
            connection.endChunks()
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let receiver = RecordingReceiver()
        client.start(Self.get(server.url("/stream")), receiver: receiver)

        #expect(receiver.firstBody.wait(timeout: .now() + 5) == .success)
        #expect(receiver.events == [.head(200), .body("data: first\n\n")])
        release.signal()
        #expect(receiver.waitForEnd())
        #expect(receiver.events == [.head(200), .body("data: first\n\n"), .body("data: second\n\n"), .finished(.success(()))])
        #expect(Self.eventually { client.transfersUnderWay == 0 })
    }

    /// A server that starts a chunked response with `chunk` and then sends nothing more; `closed` is signalled
    /// when the client closes the connection.
    static func streamStartingWith(_ chunk: String, signallingClose closed: DispatchSemaphore) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { _, connection in
            connection.sendChunkedHead()
            connection.sendChunk(chunk)
            if connection.waitForClose(seconds: 10) { closed.signal() }
            return .close
        }
    }

    @Test func cancelMidStreamClosesTheConnectionAndFinishesOnce() throws {
        let closed = DispatchSemaphore(value: 0)
        let server = try Self.streamStartingWith("data: a token\n\n", signallingClose: closed)
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let receiver = RecordingReceiver()
        let transfer = client.start(Self.get(server.url()), receiver: receiver)
        #expect(receiver.firstBody.wait(timeout: .now() + 5) == .success)
        #expect(client.transfersUnderWay == 1)

        transfer.cancel()
        #expect(receiver.waitForEnd())
        #expect(closed.wait(timeout: .now() + 5) == .success)
        #expect(receiver.events == [.head(200), .body("data: a token\n\n"), .finished(.failure(.cancelled))])
        #expect(Self.eventually { client.transfersUnderWay == 0 })
        transfer.cancel()  // again, after the end: nothing
        usleep(50_000)
        #expect(receiver.finishedCount == 1)
    }

    /// The old client could trap when a cancel met its task's completion. Here a cancel is a message to the one
    /// thread that also completes transfers, so whichever comes first decides and each transfer finishes once.
    @Test func cancelRacingCompletionFinishesEveryTransferExactlyOnce() throws {
        let server = try LoopbackHTTPServer { request, connection in
            connection.sendResponse(status: 200, body: "ok \(request.path)", keepAlive: true)
            return .keepOpen
        }
        defer { server.stop() }
        let client = OutboundHTTPClient(maxTransfers: 64)
        defer { client.shutdown() }
        let rounds = 25, perRound = 48
        var receivers: [RecordingReceiver] = []
        for round in 0..<rounds {
            let batch = (0..<perRound).map { _ in RecordingReceiver() }
            receivers += batch
            DispatchQueue.concurrentPerform(iterations: perRound) { index in
                let transfer = client.start(Self.get(server.url("/\(round)/\(index)")), receiver: batch[index])
                // Cancel at once, a little later, or not at all; sometimes twice, sometimes after the end.
                switch index % 4 {
                case 0: transfer.cancel()
                case 1: usleep(UInt32.random(in: 0...2_000)); transfer.cancel()
                case 2: _ = batch[index].waitForEnd(); transfer.cancel(); transfer.cancel()
                default: break
                }
            }
            for receiver in batch { #expect(receiver.waitForEnd(seconds: 20)) }
        }
        #expect(Self.eventually { client.transfersUnderWay == 0 })
        usleep(50_000)  // a second `finished` would have come by now
        var succeeded = 0
        for receiver in receivers {
            #expect(receiver.finishedCount == 1)
            #expect(receiver.events.last.map { if case .finished = $0 { true } else { false } } == true)
            switch receiver.result {
            case .success: succeeded += 1; #expect(receiver.events.first == .head(200))
            case .failure(.cancelled): break
            case let other: Issue.record("unexpected end: \(String(describing: other))")
            }
        }
        #expect(succeeded >= rounds * perRound / 4)  // at least the ones never cancelled
        #expect(succeeded < receivers.count)  // and cancels did win some races
    }

    @Test func theTotalLimitEndsAStreamThatNeverFinishes() throws {
        let closed = DispatchSemaphore(value: 0)
        let server = try LoopbackHTTPServer { _, connection in
            connection.sendChunkedHead()
            while connection.sendChunk("data: more\n\n") {
                if connection.waitForClose(seconds: 0.05) { closed.signal(); break }
            }
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let receiver = RecordingReceiver()
        client.start(Self.get(server.url(), limits: OutboundLimits(total: 0.5, idle: 10, maxResponseBytes: 1 << 20)),
                     receiver: receiver)
        #expect(receiver.waitForEnd())
        #expect(receiver.failure == .timedOut(.total(0.5)))
        #expect(receiver.body.hasPrefix("data: more"))
        #expect(closed.wait(timeout: .now() + 5) == .success)
    }

    @Test func aServerThatNeverAnswersEndsAtTheFirstByteLimit() throws {
        let closed = DispatchSemaphore(value: 0)
        let server = try LoopbackHTTPServer { _, connection in
            if connection.waitForClose(seconds: 10) { closed.signal() }
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let receiver = RecordingReceiver()
        client.start(Self.get(server.url(), limits: OutboundLimits(total: 30, firstByte: 0.3, maxResponseBytes: 1024)),
                     receiver: receiver)
        #expect(receiver.waitForEnd())
        #expect(receiver.events == [.finished(.failure(.timedOut(.firstByte(0.3))))])
        #expect(closed.wait(timeout: .now() + 5) == .success)
    }

    @Test func aStreamThatStallsEndsAtTheIdleLimit() throws {
        let server = try LoopbackHTTPServer { _, connection in
            connection.sendChunkedHead()
            connection.sendChunk("data: half\n\n")
            _ = connection.waitForClose(seconds: 10)
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let receiver = RecordingReceiver()
        client.start(Self.get(server.url(), limits: OutboundLimits(total: 30, idle: 0.3, maxResponseBytes: 1024)),
                     receiver: receiver)
        #expect(receiver.waitForEnd())
        #expect(receiver.events == [.head(200), .body("data: half\n\n"), .finished(.failure(.timedOut(.idle(0.3))))])
    }

    @Test func anOversizedBodyIsCutOff() throws {
        let closed = DispatchSemaphore(value: 0)
        let server = try LoopbackHTTPServer { _, connection in
            connection.send("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")
            let block = Data(repeating: UInt8(ascii: "x"), count: 16_384)
            while connection.send(block) {}
            closed.signal()
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let receiver = RecordingReceiver()
        client.start(Self.get(server.url(), limits: OutboundLimits(total: 20, maxResponseBytes: 65_536)), receiver: receiver)
        #expect(receiver.waitForEnd())
        #expect(receiver.failure == .responseTooLarge(limit: 65_536))
        #expect(receiver.receivedBodyBytes <= 65_536)
        #expect(closed.wait(timeout: .now() + 5) == .success)
    }

    @Test func aReceiverCanStopTheTransfer() throws {
        let closed = DispatchSemaphore(value: 0)
        let server = try Self.streamStartingWith("data: enough\n\n", signallingClose: closed)
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let receiver = RecordingReceiver { _ in .stop }
        client.start(Self.get(server.url()), receiver: receiver)
        #expect(receiver.waitForEnd())
        #expect(receiver.events == [.head(200), .body("data: enough\n\n"), .finished(.failure(.stopped))])
        #expect(closed.wait(timeout: .now() + 5) == .success)
    }

    @Test func aRefusedConnectionSaysSo() throws {
        // A port that was just free: bound, never listened on, closed.
        let server = try LoopbackHTTPServer { _, _ in .close }
        let port = server.port
        server.stop()
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let receiver = RecordingReceiver()
        client.start(Self.get(URL(string: "http://127.0.0.1:\(port)/")!), receiver: receiver)
        #expect(receiver.waitForEnd())
        guard case .couldNotConnect(let detail) = receiver.failure else {
            Issue.record("expected couldNotConnect, got \(String(describing: receiver.result))")
            return
        }
        #expect(!detail.isEmpty)
    }

    @Test func anErrorStatusIsAResponseWithItsBody() throws {
        let server = try LoopbackHTTPServer { _, connection in
            connection.sendResponse(status: 503, body: #"{"error":"overloaded"}"#)
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let answer = Answer()
        client.send(Self.get(server.url())) { answer.set($0) }
        let result = try #require(answer.wait())
        #expect(result == .success(OutboundResponse(status: 503, body: Data(#"{"error":"overloaded"}"#.utf8))))
    }

    @Test func aLargeRequestBodyIsSentWhole() throws {
        let server = try LoopbackHTTPServer { request, connection in
            connection.sendResponse(status: 200, body: "\(request.body.count) \(request.body.reduce(0) { $0 &+ Int($1) })")
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let body = Data((0..<2_000_000).map { UInt8($0 % 251) })
        let answer = Answer()
        client.send(OutboundRequest(method: .post, url: server.url("/upload"), headers: [("Content-Type", "audio/wav")],
                                    body: body, limits: Self.limits)) { answer.set($0) }
        let response = try #require(try answer.wait()?.get())
        #expect(String(decoding: response.body, as: UTF8.self) == "\(body.count) \(body.reduce(0) { $0 &+ Int($1) })")
        let head = try #require(server.requests.first?.head)
        #expect(head.hasPrefix("POST /upload HTTP/1.1"))
        #expect(head.contains("Content-Type: audio/wav"))
        #expect(!head.lowercased().contains("expect:"))
    }

    @Test func manyRequestsRunAtOnce() throws {
        let server = try LoopbackHTTPServer { request, connection in
            usleep(100_000)  // all of them are under way together
            connection.sendResponse(status: 200, body: "answer for \(request.path)")
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient(maxTransfers: 64)
        defer { client.shutdown() }
        let answers = (0..<48).map { _ in Answer() }
        for (index, answer) in answers.enumerated() {
            client.send(Self.get(server.url("/\(index)"))) { answer.set($0) }
        }
        for (index, answer) in answers.enumerated() {
            let response = try #require(try answer.wait()?.get())
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "answer for /\(index)")
        }
        #expect(server.acceptedConnections == 48)
        #expect(server.peakOpenConnections > 1)
    }

    @Test func connectionsToTheSameServerAreReused() throws {
        let server = try LoopbackHTTPServer { request, connection in
            connection.sendResponse(status: 200, body: request.path, keepAlive: true)
            return .keepOpen
        }
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        for index in 0..<3 {
            let answer = Answer()
            client.send(Self.get(server.url("/\(index)"))) { answer.set($0) }
            #expect(try answer.wait()?.get().body == Data("/\(index)".utf8))
        }
        #expect(server.requests.count == 3)
        #expect(server.acceptedConnections == 1)
    }

    @Test func pastItsLimitARequestIsRefusedAtOnce() throws {
        let server = try LoopbackHTTPServer { _, connection in
            _ = connection.waitForClose(seconds: 10)
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient(maxTransfers: 2)
        defer { client.shutdown() }
        let running = [RecordingReceiver(), RecordingReceiver()]
        let transfers = running.map { client.start(Self.get(server.url()), receiver: $0) }
        let refused = RecordingReceiver()
        client.start(Self.get(server.url()), receiver: refused)
        #expect(refused.events == [.finished(.failure(.busy(limit: 2)))])  // before `start` returned

        transfers.forEach { $0.cancel() }
        for receiver in running { #expect(receiver.waitForEnd()) }
        #expect(client.transfersUnderWay == 0)
        let next = RecordingReceiver()
        let transfer = client.start(Self.get(server.url()), receiver: next)
        #expect(next.events.isEmpty)
        transfer.cancel()
        #expect(next.waitForEnd())
    }

    @Test func theKeyGoesOnlyInTheAuthorizationHeader() throws {
        let server = try LoopbackHTTPServer { _, connection in
            connection.sendResponse(status: 200, body: "{}")
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient()
        defer { client.shutdown() }
        let request = OutboundRequest(method: .post, url: server.url("/v1/chat/completions"), body: Data("{}".utf8),
                                      bearerToken: "sk-secret-key", limits: Self.limits)
        let answer = Answer()
        client.send(request) { answer.set($0) }
        #expect(try answer.wait()?.get().status == 200)
        let head = try #require(server.requests.first?.head)
        #expect(head.contains("\r\nAuthorization: Bearer sk-secret-key"))
        #expect(head.components(separatedBy: "sk-secret-key").count == 2)  // once, and not in the request line
        #expect(!"\(request)".contains("sk-secret") && !String(reflecting: request).contains("sk-secret"))
        #expect("\(request)" == "POST \(server.url("/v1/chat/completions").absoluteString)")
    }

    @Test func shutdownFinishesWhatIsUnderWayAndRefusesTheRest() throws {
        let server = try LoopbackHTTPServer { _, connection in
            _ = connection.waitForClose(seconds: 10)
            return .close
        }
        defer { server.stop() }
        let client = OutboundHTTPClient()
        let receiver = RecordingReceiver()
        client.start(Self.get(server.url()), receiver: receiver)
        #expect(Self.eventually { server.requests.count == 1 })
        client.shutdown()
        #expect(receiver.waitForEnd())
        #expect(receiver.events == [.finished(.failure(.shutDown))])
        let late = RecordingReceiver()
        client.start(Self.get(server.url()), receiver: late)
        #expect(late.events == [.finished(.failure(.shutDown))])
    }

    /// One `send` completion, waited for.
    final class Answer: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Result<OutboundResponse, OutboundFailure>?
        private let done = DispatchSemaphore(value: 0)

        func set(_ result: Result<OutboundResponse, OutboundFailure>) {
            lock.withLock { value = result }
            done.signal()
        }

        func wait(seconds: TimeInterval = 10) -> Result<OutboundResponse, OutboundFailure>? {
            guard done.wait(timeout: .now() + seconds) == .success else { return nil }
            return lock.withLock { value }
        }
    }
}

import EngineClient
import Foundation
import Testing
import TestSupport

/// The probes that found nothing wrong, kept so they go on finding nothing: each runs beside a normal interview,
/// which must still complete.
extension HostileInputEndToEndTests {
    @Test func aLargeRequestHeadIsReadAndAnOversizedOneIsCutWithoutHarm() throws {
        try alongsideANormalInterview { engine in
            // 12 KiB of cookies: more than lws's default of 4 KiB, within the engine's 16.
            let cookies = (0..<12).map { "c\($0)=\(String(repeating: "v", count: 1_000))" }.joined(separator: "; ")
            let large = try Self.rawExchange(engine, "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: \(cookies)\r\n\r\n")
            #expect(large.head.hasPrefix("HTTP/1.1 200"), "\(large.head)")
            #expect(large.body.contains(#""status":"ok""#))
            // 64 KiB in one header, and 3,000 headers: lws closes these before the engine sees them.
            let oversized = try Self.rawExchange(engine, "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 65_536))\r\n\r\n")
            #expect(oversized.closed && oversized.head.isEmpty)
            let many = (0..<3_000).map { "X-\($0): y\r\n" }.joined()
            let crowded = try Self.rawExchange(engine, "GET /v1/health HTTP/1.1\r\nHost: x\r\n\(many)\r\n")
            #expect(crowded.closed && crowded.head.isEmpty)
        }
    }

    @Test func aHeadLwsRefusesIsLogged() throws {
        let log = RecordedLog()
        let engine = try TestEngine(log: log)
        let refused = { log.lines.contains { $0.message == "a limit refused a client" && $0.metadata["limit"] == "unfinished-request-head" } }
        try engine.besideANormalInterview { _ in
            // Requests lws reads whole, a body in the same packet as the head or after it, are not unfinished. The
            // engine closes these connections (`Connection: close`), so its close callback has run when they end.
            let body = #"{"email":"nobody@example.com","password":"wrong"}"#
            let head = "POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
            #expect(try Self.rawExchange(engine, head + body).head.hasPrefix("HTTP/1.1 401"))
            let split = try RawSocket(port: engine.server.port)
            #expect(split.write(head))
            _ = split.receive(timeout: 0.3)
            #expect(split.write(body))
            #expect(split.read(idle: 3).closed)
            #expect(try Self.rawExchange(engine, "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").closed)
            #expect(!refused())
            let oversized = try Self.rawExchange(engine, "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 65_536))\r\n\r\n")
            #expect(oversized.closed && oversized.head.isEmpty)
            // The close callback that logs may run after the client sees the end (lws can shut the socket down first).
            #expect(eventually("the refusal is logged") { refused() ? true : nil } == true)
        }
    }

    @Test func aHeadTrickledPastItsDeadlineIsClosed() throws {
        // About the setting: 1 s instead of 10, so that the test need not wait.
        try alongsideANormalInterview(configure: { $0.requestHeadDeadlineSeconds = 1 }) { engine, normal in
            let head = RawSocket.upgradeRequest(port: engine.server.port, token: normal.token)
            let socket = try RawSocket(port: engine.server.port)
            // A byte every 0.2 s: the head would take 40 s; the server closes it long before, without an answer.
            var sent = 0
            for byte in head.utf8 where socket.write(Data([byte])) {
                sent += 1
                guard socket.receive(timeout: 0.2) == nil, !socket.peerClosed else { break }
            }
            #expect(socket.peerClosed, "the trickled head was still open after \(sent) bytes")
            // About 5 bytes in the 1 s allowed; lws's default of 10 s would have let about 50 through.
            #expect(sent < 30, "\(sent) bytes")
        }
    }

    /// Paths that try to leave web-static/, written to the socket as they are (no client library normalises them).
    static let traversals = [
        "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/%252e%252e/etc/passwd",
        "/..\\..\\etc\\passwd", "/%2e%2e%5c%2e%2e%5cetc%5cpasswd", "//etc/passwd", "/js/../../Package.swift",
        "/..%c0%af..%c0%afetc/passwd", "/.%2e/.%2e/etc/passwd", "/index.html/../../Package.swift",
        "/....//....//etc/passwd", "/.git/config", "/../Package.swift", "/%2e%2e/Package.swift", "/css/../../../README.md",
        "/./../Sources/Server/Engine.swift", "/js/%2e%2e/%2e%2e/Package.swift", "/%2E%2E/%2E%2E/etc/passwd",
        "/..;/..;/etc/passwd", "/.%00./etc/passwd", "/~root/.ssh/id_rsa", "/..%255c..%255cetc/passwd",
        "/js/..%00/../Package.swift", "/%u002e%u002e/etc/passwd", "/" + String(repeating: "../", count: 40) + "etc/passwd",
        "/js/app.js%2f..%2f..%2f..%2fPackage.swift",
    ]

    @Test func noPathLeavesTheStaticFolder() throws {
        try alongsideANormalInterview { engine in
            for path in Self.traversals {
                let answer = try Self.rawExchange(engine, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                #expect(!answer.body.contains("root:") && !answer.body.contains("swift-tools-version")
                        && !answer.body.contains("[core]") && !answer.body.contains("PRIVATE KEY"), "\(path) served a file outside")
                // An answer, JSON when it is the engine's. lws refuses some paths itself, before any callback: a NUL
                // byte in some places (it closes without an answer) and an escape that is not hexadecimal (its
                // own HTML "HTTP/1.0 403").
                if path.contains("%00") || path.contains("%u") {
                    #expect(answer.head.isEmpty || answer.head.hasPrefix("HTTP/1.0 403") || answer.head.hasPrefix("HTTP/1.1 404"),
                            "\(path): \(answer.head)")
                } else {
                    #expect(answer.head.hasPrefix("HTTP/1.1 404") || answer.head.hasPrefix("HTTP/1.1 400")
                            || answer.head.hasPrefix("HTTP/1.1 403"), "\(path): \(answer.head)")
                    #expect(answer.body.hasPrefix(#"{"error":{"code":"#), "\(path): \(answer.body.prefix(80))")
                }
            }
        }
    }

    @Test func aTokenInTheURLOpensNothing() throws {
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            for query in ["token", "access_token", "authorization"] {
                let request = RawSocket.upgradeRequest(port: engine.server.port, token: token)
                    .replacingOccurrences(of: "GET /v1/interview", with: "GET /v1/interview?\(query)=\(token)")
                    .replacingOccurrences(of: "Authorization: Bearer \(token)\r\n", with: "")
                let answer = try Self.rawExchange(engine, request)
                #expect(answer.head.hasPrefix("HTTP/1.1 401"), "?\(query)=: \(answer.head)")
                #expect(answer.body.contains(#""code":"unauthorized""#))
            }
            let me = try Self.rawExchange(engine, "GET /v1/me?token=\(token) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(me.head.hasPrefix("HTTP/1.1 401"), "\(me.head)")
        }
    }

    @Test func anotherAccountCannotReachTheInterview() throws {
        try alongsideANormalInterview { engine, normal in
            let stranger = try engine.signUp()
            for path in ["v1/sessions/\(normal.sessionID)", "v1/sessions/\(normal.sessionID)/recording",
                         "v1/sessions/\(normal.sessionID)/video"] {
                let answer = try engine.http.send("GET", path, token: stranger)
                #expect(answer.status == 404, "\(path): \(answer.status)")
            }
            #expect(try engine.http.send("DELETE", "v1/sessions/\(normal.sessionID)", token: stranger).status == 404)
            // Nor resume it over the WebSocket.
            let client = try engine.connect(token: stranger)
            defer { client.shutdown() }
            try client.send(json: ["type": "session.resume", "session_id": normal.sessionID, "resume_token": "guess"])
            #expect(try client.next("error")["code"] as? String == "resume_failed")
        }
    }

    @Test func fragmentsAreJoinedWithinTheirBoundsAndBrokenOnesClose() throws {
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            let start = Data(#"{"type":"session.start","track":"behavioural"}"#.utf8)
            func fragment(_ opcode: UInt8, _ payload: Data, final: Bool) -> Data {
                var frame = WebSocketFrame.encode(opcode: opcode, payload)
                if !final { frame[frame.startIndex] &= 0x7f }
                return frame
            }
            func socket() throws -> RawSocket {
                let socket = try RawSocket(port: engine.server.port)
                #expect(try socket.upgrade(port: engine.server.port, token: token).hasPrefix("HTTP/1.1 101"))
                return socket
            }
            // One message in one-byte fragments is one message.
            let joined = try socket()
            var bytes = fragment(WebSocketFrame.text, start.prefix(1), final: false)
            for index in 1..<start.count {
                bytes += fragment(0, start.subdata(in: index..<index + 1), final: index == start.count - 1)
            }
            #expect(joined.write(bytes))
            let texts = WebSocketFrame.decode(joined.read(until: "session.started")).map { String(decoding: $0.payload, as: UTF8.self) }
            #expect(texts.first?.contains(#""type":"session.started""#) == true, "\(texts.prefix(1))")
            // A continuation with nothing to continue, and a new message inside a fragmented one: 1002.
            for broken in [fragment(0, Data("abc".utf8), final: true),
                           fragment(WebSocketFrame.text, Data("{\"ty".utf8), final: false) + WebSocketFrame.text("x")] {
                let connection = try socket()
                #expect(connection.write(broken))
                let close = WebSocketFrame.decode(connection.read(idle: 2).data).first { $0.opcode == WebSocketFrame.close }
                #expect(close.flatMap { WebSocketFrame.closeCode($0.payload) } == 1002)
            }
            // A character split between fragments is fine; bytes that are not UTF-8 across them close with 1007.
            let split = Data(#"{"type":"session.start","track":"behavioural","x":"é"}"#.utf8)
            let cut = split.firstIndex(of: 0xc3)! + 1
            let valid = try socket()
            #expect(valid.write(fragment(WebSocketFrame.text, split.prefix(cut - split.startIndex), final: false)
                                + fragment(0, split.suffix(from: cut), final: true)))
            let reply = WebSocketFrame.decode(valid.read(until: "session.started")).first.map { String(decoding: $0.payload, as: UTF8.self) }
            #expect(reply?.contains(#""type":"session.started""#) == true, "\(reply ?? "nothing")")
            let invalid = try socket()
            #expect(invalid.write(fragment(WebSocketFrame.text, Data([0x7b, 0x22, 0xc3]), final: false)
                                  + fragment(0, Data([0x28, 0x22, 0x7d]), final: true)))
            let close = WebSocketFrame.decode(invalid.read(idle: 2).data).first { $0.opcode == WebSocketFrame.close }
            #expect(close.flatMap { WebSocketFrame.closeCode($0.payload) } == 1007)
        }
    }

    @Test func aPingFloodIsAnsweredWithinBoundsAndCostsNoOneElse() throws {
        try alongsideANormalInterview { engine in
            let token = try engine.signUp()
            let socket = try RawSocket(port: engine.server.port)
            #expect(try socket.upgrade(port: engine.server.port, token: token).hasPrefix("HTTP/1.1 101"))
            let pings = (0..<5_000).map { WebSocketFrame.encode(opcode: 0x9, Data("ping \($0)".utf8)) }.reduce(Data(), +)
            #expect(socket.write(pings))
            let frames = WebSocketFrame.decode(socket.read(idle: 2).data)
            // lws answers the latest ping it holds whenever it can write, not each one, so the pongs are bounded by
            // the writes, not by the pings; each echoes a ping.
            let pongs = frames.filter { $0.opcode == 0xA }
            #expect(!pongs.isEmpty)
            #expect(pongs.allSatisfy { String(decoding: $0.payload, as: UTF8.self).hasPrefix("ping ") })
            #expect(try engine.http.send("GET", "v1/health").status == 200)
        }
    }
}

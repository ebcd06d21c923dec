import Foundation
import Testing

/// The liveness check (PROTOCOL.md §1.6) against the real server, on a stepped clock: a client that stays silent is
/// pinged after 20 s and hung up on after 50 s, without a close frame; one that answers the ping stays.
@Suite struct LivenessEndToEndTests {
    static let start = WebSocketFrame.text(#"{"type":"session.start","track":"behavioural","mode":"text","protocol":1}"#)

    static func texts(_ frames: [(opcode: UInt8, payload: Data)]) -> [String] {
        frames.filter { $0.opcode == WebSocketFrame.text }.map { String(decoding: $0.payload, as: UTF8.self) }
    }

    static let ping: UInt8 = 0x9

    @Test func aSilentClientIsPingedThenHungUpOnWhileOneThatAnswersStays() throws {
        let clock = SteppedClock()
        let engine = try TestEngine(clock: clock.now)
        let sockets = try (0..<2).map { _ in
            let socket = try RawSocket(port: engine.server.port)
            #expect(try socket.upgrade(port: engine.server.port, token: try engine.signUp()).hasPrefix("HTTP/1.1 101"))
            #expect(socket.write(Self.start))
            #expect(Self.texts(socket.frames { Self.texts($0).contains { $0.contains(#""type":"question""#) } }).count >= 2)
            return socket
        }
        let (silent, answering) = (sockets[0], sockets[1])

        clock.advance(21)
        var pings: [Data] = []
        for socket in sockets {
            let frames = socket.frames { $0.contains { $0.opcode == Self.ping } }
            let ping = try #require(frames.first { $0.opcode == Self.ping }, "pinged after 20 s of silence")
            pings.append(ping.payload)
        }
        // The pong echoes the ping's payload, as RFC 6455 §5.5.3 asks and browsers do.
        #expect(answering.write(WebSocketFrame.encode(opcode: 0xA, pings[1])))

        // 51 s after the silent client's last frame, 30 s after the other's pong.
        clock.advance(30)
        let last = silent.frames(idle: 10) { _ in false }
        #expect(silent.peerClosed, "hung up")
        #expect(!last.contains { $0.opcode == WebSocketFrame.close }, "without a close frame, as a lost network")

        // The answering client's thread has run its check once its second nudge (due at 40 s) has come: that timer
        // and the check run in the same callback, and a hang-up would close the socket before the next message.
        let nudged = Self.texts(answering.frames { Self.texts($0).contains { $0.contains(#""number":2"#) } })
        #expect(nudged.contains { $0.contains(#""type":"nudge""#) && $0.contains(#""number":2"#) }, "\(nudged)")
        #expect(answering.write(WebSocketFrame.text(#"{"type":"session.end"}"#)))
        let ended = Self.texts(answering.frames { Self.texts($0).contains { $0.contains("session.ended") } })
        #expect(ended.contains { $0.contains(#""reason":"client_ended""#) }, "still connected: \(ended)")
    }
}

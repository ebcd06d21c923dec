import EngineClient
import Testing

/// `ClientFrame.seal` builds the frames the load client writes past libwebsockets' own framing, so they must be
/// exactly what RFC 6455 says a client sends.
@Suite struct ClientFrameTests {
    /// The frame `seal` makes of `payload`, header included.
    static func sealed(opcode: ClientFrame.Opcode, _ payload: [UInt8], key: UInt32) -> [UInt8] {
        let room = ClientFrame.maximumHeaderBytes
        var buffer = [UInt8](repeating: 0xEE, count: room + payload.count)
        buffer.replaceSubrange(room..., with: payload)
        let header = buffer.withUnsafeMutableBytes {
            ClientFrame.seal(opcode: opcode, payload: $0.baseAddress! + room, count: payload.count, key: key)
        }
        #expect(buffer[..<(room - header)].allSatisfy { $0 == 0xEE }, "nothing written before the header")
        return Array(buffer[(room - header)...])
    }

    /// The key whose bytes in memory are `bytes`.
    static func key(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }

    /// Takes the mask off a sealed frame's payload, the way a server reads it.
    static func unmasked(_ frame: [UInt8], headerBytes: Int) -> [UInt8] {
        let mask = frame[(headerBytes - 4)..<headerBytes].map { $0 }
        return frame[headerBytes...].enumerated().map { $0.element ^ mask[$0.offset & 3] }
    }

    /// RFC 6455 §5.7: "A single-frame masked text message" containing "Hello".
    @Test func theRFCExampleIsReproducedByteForByte() {
        let frame = Self.sealed(opcode: .text, Array("Hello".utf8), key: Self.key([0x37, 0xFA, 0x21, 0x3D]))
        #expect(frame == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    /// 126 and more payload bytes take a 16-bit length, 65,536 and more a 64-bit one; every payload length modulo
    /// eight exercises the tail that is masked a byte at a time.
    @Test(arguments: [0, 1, 7, 8, 9, 125, 126, 127, 640, 641, 65_535, 65_536, 70_001])
    func theLengthAndTheMaskedPayloadReadBack(count: Int) {
        let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let key = Self.key([0x01, 0x80, 0xFF, 0x5A])
        let frame = Self.sealed(opcode: .binary, payload, key: key)
        #expect(frame[0] == 0x82, "FIN and binary")
        #expect(frame[1] & 0x80 == 0x80, "masked")
        let headerBytes: Int
        let length: Int
        switch frame[1] & 0x7F {
        case 126:
            headerBytes = 8
            length = Int(frame[2]) << 8 | Int(frame[3])
            #expect(count >= 126 && count < 65_536)
        case 127:
            headerBytes = 14
            length = frame[2..<10].reduce(0) { $0 << 8 | Int($1) }
            #expect(count >= 65_536)
        case let short:
            headerBytes = 6
            length = Int(short)
            #expect(count < 126)
        }
        #expect(length == count)
        #expect(Array(frame[(headerBytes - 4)..<headerBytes]) == [0x01, 0x80, 0xFF, 0x5A])
        #expect(Self.unmasked(frame, headerBytes: headerBytes) == payload)
        if count >= 8 { #expect(Array(frame[headerBytes...]) != payload, "the payload is masked") }
    }

    /// Keys come from the kernel's random source, a new one per frame, past the end of the first pool.
    @Test func keysKeepComingAndDiffer() {
        var keys = ClientFrame.Keys()
        let taken = (0..<3_000).map { _ in keys.take() }
        // Among 3,000 random 32-bit keys one pair repeats with a chance of about 0.1 %, three pairs about never; a
        // pool that is not refilled repeats its 1,024 keys.
        #expect(Set(taken).count >= 2_998)
    }
}

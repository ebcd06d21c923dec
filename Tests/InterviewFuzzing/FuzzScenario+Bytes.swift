import Foundation

/// The byte form of a scenario, for libFuzzer: any bytes are a scenario, so every mutation is worth running.
///
/// Two bytes of balance (little-endian, in 100 ms), then inputs, each an opcode byte (taken modulo 17) and its
/// operands; an operand cut off by the end of the bytes reads as zero, and a frame as what is left.
///
/// | op | input | operands |
/// |---|---|---|
/// | 0 | text frame | u24 length, the bytes |
/// | 1 | binary frame | u24 byte count (at most the server's 256 KiB) |
/// | 2 | advance | u24 milliseconds |
/// | 3, 4 | timer, settle | |
/// | 5 | balanceChanged | i16, in 100 ms |
/// | 6, 7 | speechStarted, speechStopped (which sends the stretch to the transcriber) | |
/// | 8 | drain | u16, in 100 ms |
/// | 9 | transcriptionFinished | u8 length (255: failed), the UTF-8 text |
/// | 10, 11, 12 | disconnect, resume, close | |
/// | 13 | modelFirstToken | |
/// | 14 | modelWording | u16 length (65535: failed), the UTF-8 text |
/// | 15 | modelGrade | u8 (0: failed; else every criterion 1 + (n - 1) % 5) |
/// | 16 | reportWritten | u8 (0: failed) |
extension FuzzScenario {
    public static let maxInputs = 2_000
    public static let maxBinaryFrame = 262_144

    public init(bytes: some Collection<UInt8>) {
        var reader = ByteReader(bytes: Array(bytes))
        balanceMs = Int64(reader.uint(2)) * 100
        inputs = []
        while !reader.isAtEnd, inputs.count < Self.maxInputs {
            let op = reader.uint(1) % 17
            switch op {
            case 0: inputs.append(.text(Data(reader.bytes(reader.uint(3))), requestID: .unknown))
            case 1: inputs.append(.binary(byteCount: min(reader.uint(3), Self.maxBinaryFrame)))
            case 2: inputs.append(.advance(ms: Int64(reader.uint(3))))
            case 3: inputs.append(.timer)
            case 4: inputs.append(.settle)
            case 5: inputs.append(.balanceChanged(deltaMs: Int64(Int16(truncatingIfNeeded: reader.uint(2))) * 100))
            case 6: inputs.append(.speechStarted)
            case 7: inputs.append(.speechStopped)
            case 8: inputs.append(.drain(inMs: Int64(reader.uint(2)) * 100))
            case 9:
                let length = reader.uint(1)
                inputs.append(.transcriptionFinished(length == 255 ? nil : String(decoding: reader.bytes(length), as: UTF8.self)))
            case 10: inputs.append(.disconnect)
            case 11: inputs.append(.resume)
            case 12: inputs.append(.close)
            case 13: inputs.append(.modelFirstToken)
            case 14:
                let length = reader.uint(2)
                inputs.append(.modelWording(length == 0xFFFF ? nil : String(decoding: reader.bytes(length), as: UTF8.self)))
            case 15:
                let score = reader.uint(1)
                inputs.append(.modelGrade(score == 0 ? nil : 1 + (score - 1) % 5))
            default: inputs.append(.reportWritten(reader.uint(1) != 0))
            }
        }
    }

    /// The bytes that read back as this scenario, with every request id `.unknown`; values past what the format
    /// holds are clamped.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        func put(_ value: Int, _ count: Int) {
            for shift in 0..<count { out.append(UInt8(truncatingIfNeeded: value >> (8 * shift))) }
        }
        /// The length in `lengthBytes` (all ones: nil), then as much of the UTF-8 as that length can say.
        func putText(_ text: String?, lengthBytes: Int) {
            let absent = 1 << (8 * lengthBytes) - 1
            guard let text else { return put(absent, lengthBytes) }
            let utf8 = Array(text.utf8.prefix(absent - 1))
            put(utf8.count, lengthBytes)
            out += utf8
        }
        put(Int(min(max(balanceMs / 100, 0), 0xFFFF)), 2)
        for input in inputs {
            switch input {
            case .text(let frame, _):
                let frame = frame.prefix(0xFF_FFFF)
                put(0, 1); put(frame.count, 3); out += frame
            case .binary(let count): put(1, 1); put(min(max(count, 0), Self.maxBinaryFrame), 3)
            case .advance(let ms): put(2, 1); put(Int(min(max(ms, 0), 0xFF_FFFF)), 3)
            case .timer: put(3, 1)
            case .settle: put(4, 1)
            case .balanceChanged(let delta): put(5, 1); put(Int(min(max(delta / 100, -32_768), 32_767)), 2)
            case .speechStarted: put(6, 1)
            case .speechStopped: put(7, 1)
            case .transcriptionFinished(let text): put(9, 1); putText(text, lengthBytes: 1)
            case .disconnect: put(10, 1)
            case .resume: put(11, 1)
            case .close: put(12, 1)
            case .drain(let ms): put(8, 1); put(Int(min(max(ms / 100, 0), 0xFFFF)), 2)
            case .modelFirstToken: put(13, 1)
            case .modelWording(let text): put(14, 1); putText(text, lengthBytes: 2)
            case .modelGrade(let score): put(15, 1); put(score.map { min(max($0, 1), 5) } ?? 0, 1)
            case .reportWritten(let written): put(16, 1); put(written ? 1 : 0, 1)
            }
        }
        return out
    }
}

/// Reads little-endian operands; past the end, zeros.
private struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func uint(_ count: Int) -> Int {
        var value = 0
        for shift in 0..<count where offset < bytes.count {
            value |= Int(bytes[offset]) << (8 * shift)
            offset += 1
        }
        return value
    }

    mutating func bytes(_ count: Int) -> ArraySlice<UInt8> {
        let end = min(bytes.count, offset + count)
        defer { offset = end }
        return bytes[offset..<end]
    }
}

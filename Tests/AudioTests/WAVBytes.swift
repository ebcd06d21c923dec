import Foundation

/// Builds WAV files byte by byte, including the odd ones real tools write.
struct WAVBytes {
    var bytes = Data()

    static func le16(_ value: Int) -> Data { withUnsafeBytes(of: UInt16(value).littleEndian) { Data($0) } }
    static func le32(_ value: UInt32) -> Data { withUnsafeBytes(of: value.littleEndian) { Data($0) } }

    /// `RIFF` header; the size field is not checked by readers, so any value will do.
    static func header(riffSize: UInt32 = 0) -> WAVBytes {
        WAVBytes(bytes: Data("RIFF".utf8) + le32(riffSize) + Data("WAVE".utf8))
    }

    func chunk(_ id: String, size: UInt32, body: Data) -> WAVBytes {
        WAVBytes(bytes: bytes + Data(id.utf8) + Self.le32(size) + body)
    }

    func chunk(_ id: String, _ body: Data) -> WAVBytes {
        let padded = body.count % 2 == 1 ? body + Data([0]) : body
        return chunk(id, size: UInt32(body.count), body: padded)
    }

    func fmt(format: Int = 1, channels: Int = 1, sampleRate: Int = 16_000, bits: Int = 16) -> WAVBytes {
        let blockAlign = channels * bits / 8
        return chunk("fmt ", Self.le16(format) + Self.le16(channels) + Self.le32(UInt32(sampleRate))
                     + Self.le32(UInt32(sampleRate * blockAlign)) + Self.le16(blockAlign) + Self.le16(bits))
    }
}

/// `count` 16-bit little-endian samples of a ramp, so every byte position is distinguishable.
func rampSamples(_ count: Int) -> Data {
    var data = Data()
    for index in 0..<count {
        withUnsafeBytes(of: Int16(truncatingIfNeeded: index * 37 - 5_000).littleEndian) { data.append(contentsOf: $0) }
    }
    return data
}

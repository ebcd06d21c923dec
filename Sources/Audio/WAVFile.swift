import Foundation

/// A PCM16 mono WAV file: read for bot scripts and tests, written for recordings.
public struct WAVFile: Sendable, Equatable {
    public var sampleRate: Int
    /// Little-endian 16-bit samples, exactly as they travel in binary WebSocket frames.
    public var pcm16: Data

    public init(sampleRate: Int, pcm16: Data) {
        self.sampleRate = sampleRate
        self.pcm16 = pcm16
    }

    public enum ReadError: Error, Equatable, CustomStringConvertible {
        case notWAV
        case unsupportedFormat(channels: Int, bitsPerSample: Int, format: Int)
        case missingData

        public var description: String {
            switch self {
            case .notWAV: "not a RIFF/WAVE file"
            case .unsupportedFormat(let channels, let bits, let format):
                "only 16-bit PCM mono is supported (this file: format \(format), \(channels) channels, \(bits) bits)"
            case .missingData: "the file has no data chunk"
            }
        }
    }

    public var durationMs: Int64 { Int64(pcm16.count / 2) * 1000 / Int64(sampleRate) }

    public init(contentsOf url: URL) throws {
        try self.init(parsing: try Data(contentsOf: url))
    }

    public init(parsing bytes: Data) throws {
        let data = Data(bytes)  // re-based so indices start at 0
        guard data.count >= 12, data.prefix(4) == Data("RIFF".utf8), data[8..<12] == Data("WAVE".utf8) else {
            throw ReadError.notWAV
        }
        var offset = 12
        var rate: Int?
        while offset + 8 <= data.count {
            let id = data[offset..<offset + 4]
            let size = Int(data.littleEndianUInt32(at: offset + 4))
            let body = offset + 8
            if id == Data("fmt ".utf8), body + 16 <= data.count {
                let format = Int(data.littleEndianUInt16(at: body))
                let channels = Int(data.littleEndianUInt16(at: body + 2))
                let bits = Int(data.littleEndianUInt16(at: body + 14))
                let sampleRate = Int(data.littleEndianUInt32(at: body + 4))
                guard format == 1 || format == 0xFFFE, channels == 1, bits == 16, sampleRate > 0 else {
                    throw ReadError.unsupportedFormat(channels: channels, bitsPerSample: bits, format: format)
                }
                rate = sampleRate
            } else if id == Data("data".utf8), let rate {
                // espeak-ng and sox write 0 or 0xFFFFFFFF as the size when streaming to a pipe: take what is there.
                let end = size == 0 || body + size > data.count ? data.count : body + size
                let length = (end - body) / 2 * 2
                self.init(sampleRate: rate, pcm16: data.subdata(in: body..<body + length))
                return
            }
            offset = body + size + (size & 1)
        }
        throw ReadError.missingData
    }

    /// The file's bytes: a 44-byte header followed by the samples.
    public func encoded() -> Data {
        Self.header(sampleRate: sampleRate, dataByteCount: pcm16.count) + pcm16
    }

    /// The 44-byte header of a PCM16 mono file holding `dataByteCount` bytes of samples.
    public static func header(sampleRate: Int, dataByteCount: Int) -> Data {
        var out = Data(capacity: 44)
        out.append(contentsOf: Array("RIFF".utf8))
        out.appendLittleEndian(UInt32(36 + dataByteCount))
        out.append(contentsOf: Array("WAVEfmt ".utf8))
        out.appendLittleEndian(UInt32(16))
        out.appendLittleEndian(UInt16(1))   // PCM
        out.appendLittleEndian(UInt16(1))   // mono
        out.appendLittleEndian(UInt32(sampleRate))
        out.appendLittleEndian(UInt32(sampleRate * 2))
        out.appendLittleEndian(UInt16(2))
        out.appendLittleEndian(UInt16(16))
        out.append(contentsOf: Array("data".utf8))
        out.appendLittleEndian(UInt32(dataByteCount))
        return out
    }

    /// The header a recording of `fileSize` bytes should have, when `header` (its first 44 bytes) is a PCM16 mono
    /// header of the kind `header(sampleRate:dataByteCount:)` writes whose sizes disagree with the file (a process
    /// that died mid-recording leaves them at 0). Nil when the header is right or is not of that kind.
    public static func repairedHeader(_ header: Data, fileSize: Int) -> Data? {
        let bytes = [UInt8](header.prefix(44))
        guard bytes.count == 44, fileSize >= 44, fileSize - 8 <= Int(UInt32.max),
              Array(bytes[0..<4]) == Array("RIFF".utf8), Array(bytes[8..<16]) == Array("WAVEfmt ".utf8),
              Array(bytes[36..<40]) == Array("data".utf8) else { return nil }
        func uint32(_ offset: Int) -> Int {
            Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
        }
        let sampleRate = uint32(24)
        let dataBytes = (fileSize - 44) & ~1  // whole samples only
        guard sampleRate > 0, uint32(40) != dataBytes || uint32(4) != 36 + dataBytes else { return nil }
        return Self.header(sampleRate: sampleRate, dataByteCount: dataBytes)
    }

    /// Splits the samples into frames of `milliseconds` each (the last may be shorter), as a client streams them.
    public func frames(milliseconds: Int) -> [Data] {
        let frameBytes = max(2, sampleRate * milliseconds / 1000 * 2)
        return stride(from: 0, to: pcm16.count, by: frameBytes).map {
            pcm16.subdata(in: $0..<min($0 + frameBytes, pcm16.count))
        }
    }
}

extension Data {
    func littleEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func littleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }

    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

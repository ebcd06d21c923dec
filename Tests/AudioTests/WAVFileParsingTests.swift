import Foundation
import Testing
import Audio

@Suite struct WAVFileParsingTests {
    @Test func encodeThenParseRoundTrips() throws {
        let original = WAVFile(sampleRate: 16_000, pcm16: rampSamples(1_000))
        let encoded = original.encoded()
        #expect(encoded.count == 44 + 2_000)
        #expect(try WAVFile(parsing: encoded) == original)
    }

    @Test func encodedHeaderIsCanonical() {
        let encoded = WAVFile(sampleRate: 24_000, pcm16: rampSamples(3)).encoded()
        #expect(encoded.prefix(4) == Data("RIFF".utf8))
        #expect(encoded[4..<8] == WAVBytes.le32(36 + 6))
        #expect(encoded[8..<16] == Data("WAVEfmt ".utf8))
        #expect(encoded[16..<20] == WAVBytes.le32(16))
        #expect(encoded[20..<24] == WAVBytes.le16(1) + WAVBytes.le16(1))
        #expect(encoded[24..<28] == WAVBytes.le32(24_000))
        #expect(encoded[28..<32] == WAVBytes.le32(48_000))
        #expect(encoded[32..<36] == WAVBytes.le16(2) + WAVBytes.le16(16))
        #expect(encoded[36..<40] == Data("data".utf8))
        #expect(encoded[40..<44] == WAVBytes.le32(6))
    }

    @Test func emptyRecordingRoundTrips() throws {
        let empty = WAVFile(sampleRate: 16_000, pcm16: Data())
        #expect(try WAVFile(parsing: empty.encoded()) == empty)
    }

    @Test func parsesASliceOfALargerBuffer() throws {
        let encoded = WAVFile(sampleRate: 16_000, pcm16: rampSamples(10)).encoded()
        let buffer = Data([1, 2, 3]) + encoded
        #expect(try WAVFile(parsing: buffer.dropFirst(3)).pcm16 == rampSamples(10))
    }

    @Test(arguments: [Data(), Data("RIFF".utf8), Data("hello, this is not a wav file at all".utf8),
                      Data("RIFX\0\0\0\0WAVE".utf8), Data("RIFF\0\0\0\0AVI ".utf8)])
    func nonWAVIsRefused(bytes: Data) {
        #expect(throws: WAVFile.ReadError.notWAV) { try WAVFile(parsing: bytes) }
    }

    @Test func stereoIsRefused() {
        let bytes = WAVBytes.header().fmt(channels: 2).chunk("data", rampSamples(4)).bytes
        #expect(throws: WAVFile.ReadError.unsupportedFormat(channels: 2, bitsPerSample: 16, format: 1)) {
            try WAVFile(parsing: bytes)
        }
    }

    @Test func eightBitIsRefused() {
        let bytes = WAVBytes.header().fmt(bits: 8).chunk("data", Data([1, 2, 3, 4])).bytes
        #expect(throws: WAVFile.ReadError.unsupportedFormat(channels: 1, bitsPerSample: 8, format: 1)) {
            try WAVFile(parsing: bytes)
        }
    }

    @Test func floatIsRefused() {
        let bytes = WAVBytes.header().fmt(format: 3, bits: 32).chunk("data", Data(count: 8)).bytes
        #expect(throws: WAVFile.ReadError.unsupportedFormat(channels: 1, bitsPerSample: 32, format: 3)) {
            try WAVFile(parsing: bytes)
        }
    }

    @Test func fileWithoutDataChunkIsRefused() {
        let bytes = WAVBytes.header().fmt().chunk("LIST", Data("INFOISFT".utf8)).bytes
        #expect(throws: WAVFile.ReadError.missingData) { try WAVFile(parsing: bytes) }
    }

    @Test func dataBeforeFormatIsNotUsable() {
        let bytes = WAVBytes.header().chunk("data", rampSamples(4)).fmt().bytes
        #expect(throws: WAVFile.ReadError.missingData) { try WAVFile(parsing: bytes) }
    }

    /// Chunks the reader does not know are skipped, including the pad byte after an odd-sized one.
    @Test func unknownChunksAreSkipped() throws {
        let bytes = WAVBytes.header().chunk("LIST", Data("odd".utf8)).fmt().chunk("fact", Data(count: 4))
            .chunk("data", rampSamples(8)).bytes
        #expect(try WAVFile(parsing: bytes) == WAVFile(sampleRate: 16_000, pcm16: rampSamples(8)))
    }

    /// espeak-ng and sox write 0 (or 0xFFFFFFFF) as the data size when they stream to a pipe.
    @Test(arguments: [UInt32(0), UInt32.max, UInt32(1_000_000)])
    func dataSizeZeroOrTooLargeReadsWhatIsThere(size: UInt32) throws {
        let bytes = WAVBytes.header().fmt(sampleRate: 22_050).chunk("data", size: size, body: rampSamples(100)).bytes
        let wav = try WAVFile(parsing: bytes)
        #expect(wav.sampleRate == 22_050)
        #expect(wav.pcm16 == rampSamples(100))
    }

    @Test func trailingHalfSampleIsDropped() throws {
        let bytes = WAVBytes.header().fmt().chunk("data", size: 0, body: rampSamples(5) + Data([0x7f])).bytes
        #expect(try WAVFile(parsing: bytes).pcm16 == rampSamples(5))
    }

    @Test func dataChunkSmallerThanTheFileStopsAtItsSize() throws {
        let bytes = WAVBytes.header().fmt().chunk("data", rampSamples(6)).chunk("LIST", Data("INFO".utf8)).bytes
        #expect(try WAVFile(parsing: bytes).pcm16 == rampSamples(6))
    }

    @Test func extensibleFormatIsAccepted() throws {
        var extensible = WAVBytes.le16(0xFFFE) + WAVBytes.le16(1) + WAVBytes.le32(16_000) + WAVBytes.le32(32_000)
        extensible += WAVBytes.le16(2) + WAVBytes.le16(16) + WAVBytes.le16(22) + Data(count: 22)
        let bytes = WAVBytes.header().chunk("fmt ", extensible).chunk("data", rampSamples(3)).bytes
        #expect(try WAVFile(parsing: bytes).pcm16 == rampSamples(3))
    }

    /// A sample rate of 0 would make every duration a division by zero.
    @Test func zeroSampleRateIsRefused() {
        let bytes = WAVBytes.header().fmt(sampleRate: 0).chunk("data", rampSamples(4)).bytes
        #expect(throws: WAVFile.ReadError.self) { try WAVFile(parsing: bytes) }
    }

    @Test func readsFromAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString + ".wav")
        defer { try? FileManager.default.removeItem(at: url) }
        let original = WAVFile(sampleRate: 8_000, pcm16: rampSamples(80))
        try original.encoded().write(to: url)
        #expect(try WAVFile(contentsOf: url) == original)
    }
}

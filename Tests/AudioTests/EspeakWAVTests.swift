import Foundation
import Testing
import Audio
import TestSupport

/// Reads what a real text-to-speech tool writes. `make test` installs espeak-ng (see APT_PACKAGES in the Makefile).
@Suite struct EspeakWAVTests {
    @Test func parsesEspeakOutput() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString + ".wav")
        defer { try? FileManager.default.removeItem(at: url) }
        try Espeak.speak("hello", to: url)
        let wav = try WAVFile(contentsOf: url)
        #expect(wav.sampleRate == 22_050)
        #expect(wav.durationMs > 200 && wav.durationMs < 3_000, "\(wav.durationMs) ms for one word")
        #expect(wav.pcm16.count % 2 == 0)
        let samples = wav.pcm16.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }.map { Int16(littleEndian: $0) }
        #expect(samples.contains { abs(Int($0)) > 1_000 }, "speech is not silence")
    }
}

import Foundation
import TestSupport
import Audio

/// Audio made in the test: silence, noise, tones, and speech from espeak-ng, all PCM16 at 16 kHz.
enum SyntheticAudio {
    static let rate = 16_000

    static func samples(_ values: [Double]) -> Data {
        var data = Data(capacity: values.count * 2)
        for value in values {
            let sample = Int16(max(-32_768, min(32_767, (value * 32_767).rounded())))
            withUnsafeBytes(of: sample.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func silence(ms: Int) -> Data { Data(count: rate * ms / 1000 * 2) }

    /// White noise at `dbfs` (RMS), from a fixed seed so every run hears the same room.
    static func noise(ms: Int, dbfs: Double, seed: UInt64 = 7) -> Data {
        var state = seed
        let amplitude = pow(10, dbfs / 20) * 3.0.squareRoot()  // uniform noise: RMS = amplitude / √3
        return samples((0..<(rate * ms / 1000)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) / Double(1 << 53) * 2 - 1) * amplitude
        })
    }

    /// A hummed tone, like a "mhm".
    static func tone(ms: Int, hertz: Double = 150, dbfs: Double = -20) -> Data {
        let amplitude = pow(10, dbfs / 20) * 2.0.squareRoot()
        return samples((0..<(rate * ms / 1000)).map { sin(2 * .pi * hertz * Double($0) / Double(rate)) * amplitude })
    }

    /// Adds two signals sample by sample (the shorter is padded with silence).
    static func mix(_ a: Data, _ b: Data) -> Data {
        let count = max(a.count, b.count) / 2
        func sample(_ data: Data, _ index: Int) -> Double {
            guard 2 * index + 1 < data.count else { return 0 }
            return Double(Int16(bitPattern: UInt16(data[2 * index]) | UInt16(data[2 * index + 1]) << 8)) / 32_768
        }
        return samples((0..<count).map { sample(a, $0) + sample(b, $0) })
    }

    /// Speech from espeak-ng, resampled to 16 kHz.
    static func speech(_ text: String) throws -> WAVFile {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString + ".wav")
        defer { try? FileManager.default.removeItem(at: url) }
        try Espeak.speak(text, to: url)
        return try WAVFile(contentsOf: url).resampled(to: rate)
    }

    /// Runs the detector over audio in 20 ms frames, as a client streams it.
    static func detect(_ audio: Data) -> [VoiceActivityDetector.Event] {
        var detector = VoiceActivityDetector(sampleRate: rate)
        return WAVFile(sampleRate: rate, pcm16: audio).frames(milliseconds: 20).flatMap { detector.process($0) }
    }
}

import Audio
import Foundation

/// A stretch of speech in milliseconds of audio, `start` included, `end` excluded.
public struct SpeechStretch: Sendable, Equatable, Codable {
    public var startMs: Int64
    public var endMs: Int64

    public init(startMs: Int64, endMs: Int64) {
        self.startMs = startMs
        self.endMs = endMs
    }
}

/// One clean recording of the test set with its true speech stretches, which come from the clean signal
/// (`bench/vad/make_fixtures.py` writes both), never from a detector.
public struct SpeechFixture: Sendable {
    public var name: String
    public var audio: WAVFile
    public var speech: [SpeechStretch]

    public init(name: String, audio: WAVFile, speech: [SpeechStretch]) {
        self.name = name
        self.audio = audio
        self.speech = speech
    }

    /// Every fixture in `folder`: the WAVs named in its `labels.json`, in name order.
    public static func load(from folder: URL) throws -> [SpeechFixture] {
        struct Label: Decodable { var speech_ms: [[Int64]] }
        let labels = try JSONDecoder().decode([String: Label].self, from: Data(contentsOf: folder.appendingPathComponent("labels.json")))
        return try labels.keys.sorted().map { name in
            let audio = try WAVFile(contentsOf: folder.appendingPathComponent("\(name).wav"))
            let speech = labels[name]!.speech_ms.map { SpeechStretch(startMs: $0[0], endMs: $0[1]) }
            return SpeechFixture(name: name, audio: audio, speech: speech)
        }
    }

    /// The samples in full scale (1 = 0 dBFS).
    public var samples: [Double] { audio.samples }

    /// RMS over the labelled speech only (the active speech level), in full scale.
    public var activeRMS: Double {
        let samples = self.samples
        var sum = 0.0
        var count = 0
        for stretch in speech {
            let range = sampleIndex(stretch.startMs)..<min(samples.count, sampleIndex(stretch.endMs))
            for index in range { sum += samples[index] * samples[index] }
            count += range.count
        }
        return (sum / Double(max(1, count))).squareRoot()
    }

    private func sampleIndex(_ ms: Int64) -> Int { Int(ms * Int64(audio.sampleRate) / 1000) }
}

extension WAVFile {
    /// The samples in full scale (1 = 0 dBFS).
    public var samples: [Double] {
        pcm16.withUnsafeBytes { raw in
            (0..<raw.count / 2).map { Double(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) / 32_768 }
        }
    }

    /// PCM16 from full-scale samples, clipped to the 16-bit range.
    public init(sampleRate: Int, samples: [Double]) {
        var data = Data(count: samples.count * 2)
        data.withUnsafeMutableBytes { raw in
            for (index, value) in samples.enumerated() {
                let sample = Int16(max(-32_768, min(32_767, (value * 32_768).rounded())))
                raw.storeBytes(of: sample.littleEndian, toByteOffset: 2 * index, as: Int16.self)
            }
        }
        self.init(sampleRate: sampleRate, pcm16: data)
    }
}

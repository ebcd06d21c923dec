import Foundation

/// Converts PCM16 audio between sample rates by linear interpolation: enough for speech sent to a detector and a
/// recogniser, with no filters to tune.
public enum Resampler {
    public static func resample(_ pcm16: Data, from sourceRate: Int, to targetRate: Int) -> Data {
        guard sourceRate != targetRate, sourceRate > 0, targetRate > 0, pcm16.count >= 4 else { return pcm16 }
        let samples: [Int16] = pcm16.withUnsafeBytes { raw in
            (0..<raw.count / 2).map { Int16(bitPattern: UInt16(raw[2 * $0]) | UInt16(raw[2 * $0 + 1]) << 8) }
        }
        let outputCount = Int(Int64(samples.count) * Int64(targetRate) / Int64(sourceRate))
        var output = Data(capacity: outputCount * 2)
        let step = Double(sourceRate) / Double(targetRate)
        for index in 0..<outputCount {
            let position = Double(index) * step
            let left = min(Int(position), samples.count - 1)
            let right = min(left + 1, samples.count - 1)
            let fraction = position - Double(left)
            let value = Double(samples[left]) * (1 - fraction) + Double(samples[right]) * fraction
            let sample = Int16(max(-32_768, min(32_767, value.rounded())))
            withUnsafeBytes(of: sample.littleEndian) { output.append(contentsOf: $0) }
        }
        return output
    }
}

extension WAVFile {
    /// The same audio at another sample rate.
    public func resampled(to rate: Int) -> WAVFile {
        WAVFile(sampleRate: rate, pcm16: Resampler.resample(pcm16, from: sampleRate, to: rate))
    }
}

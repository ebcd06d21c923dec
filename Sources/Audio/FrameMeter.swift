import Foundation

/// The measures of one analysis frame of PCM16, taken in a single pass over its samples.
struct FrameMeasures: Sendable {
    /// Mean square, full scale = 1.
    var energy: Double
    /// Fraction of samples at |s| ≥ 32,000.
    var clippedFraction: Double
    /// The largest share of the frame's energy that two neighbouring 2.5 ms blocks hold: near 1 for a click or a
    /// key, about 0.25 for speech or steady noise.
    var peakShare: Double
    /// The share of the energy below about 2 kHz: low for hiss ("s", "f", "t"), high for voices, coughs and hum.
    var lowShare: Double
}

/// Measures frames, and sums each group of input samples into one sample of a low-rate (about 4 kHz) signal for
/// `Periodicity`. Nothing here depends on the previous sample's result, so the loop runs at the speed of memory.
struct FrameMeter: Sendable {
    let frameSamples: Int
    let groupsPerFrame: Int
    /// Input samples per low-rate sample; the frame's last group also takes the remainder.
    let groupSamples: Int
    /// Low-rate samples per 2.5 ms block.
    static let blockGroups = 10

    init(sampleRate: Int, frameMs: Int) {
        frameSamples = max(1, sampleRate * frameMs / 1000)
        groupsPerFrame = max(1, min(frameSamples, Periodicity.rate * frameMs / 1000))
        groupSamples = frameSamples / groupsPerFrame
    }

    /// Measures the `frameSamples` little-endian PCM16 samples at `samples` and writes the frame's `groupsPerFrame`
    /// low-rate samples to `low`.
    func measure(_ samples: UnsafeRawPointer, low: UnsafeMutablePointer<Float>) -> FrameMeasures {
        // An aligned copy in host order lets the loops below run without checks, in vector instructions.
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: frameSamples) { copy -> FrameMeasures in
            let pcm = copy.baseAddress!
            UnsafeMutableRawPointer(pcm).copyMemory(from: samples, byteCount: 2 * frameSamples)
            for index in 0..<frameSamples { pcm[index] = Int16(littleEndian: pcm[index]) }
            return measureHostOrder(UnsafePointer(pcm), low: low)
        }
    }

    private func measureHostOrder(_ pcm: UnsafePointer<Int16>, low: UnsafeMutablePointer<Float>) -> FrameMeasures {
        // Energy and clipping in 2.5 ms blocks; the last block takes the remainder.
        let blockSamples = Self.blockGroups * groupSamples
        var frameEnergy: Float = 0
        var clipped = 0
        var previousBlock: Float = 0
        var loudestPair: Float = 0
        var start = 0
        while start < frameSamples {
            let end = frameSamples - start < 2 * blockSamples ? frameSamples : start + blockSamples
            let (energy, clips) = Self.squares(pcm + start, count: end - start)
            loudestPair = max(loudestPair, energy + previousBlock)
            previousBlock = energy
            frameEnergy += energy
            clipped += clips
            start = end
        }
        // One low-rate sample per group. The last group may hold a few more samples than the others (11.025 per
        // group at 44.1 kHz); it is scaled as the others, which does not matter to the pitch.
        let scale = 1 / Float(groupSamples * 32_768)
        for group in 0..<groupsPerFrame {
            let first = group * groupSamples
            let last = group == groupsPerFrame - 1 ? frameSamples : first + groupSamples
            var sum: Int32 = 0
            for index in first..<last { sum &+= Int32(pcm[index]) }
            low[group] = Float(sum) * scale
        }
        let lowEnergy = Double(Periodicity.dot(low, low, groupsPerFrame)) / Double(groupsPerFrame)
        return FrameMeasures(energy: Double(frameEnergy) / Double(frameSamples) / (32_768.0 * 32_768.0),
                             clippedFraction: Double(clipped) / Double(frameSamples),
                             peakShare: frameEnergy > 0 ? Double(loudestPair) / Double(frameEnergy) : 0,
                             lowShare: frameEnergy > 0 ? lowEnergy * Double(frameSamples) * 32_768 * 32_768 / Double(frameEnergy) : 0)
    }

    /// The sum of squares of `count` samples (in single precision: exact enough for levels, and eight at a time)
    /// and how many of them clip (|s| ≥ 32,000). Samples are counted one by one only when the sum shows that one
    /// of them could clip.
    @inline(__always)
    static func squares(_ pcm: UnsafePointer<Int16>, count: Int) -> (Float, Int) {
        var sums = SIMD8<Float>()
        var index = 0
        let raw = UnsafeRawPointer(pcm)
        while index + 8 <= count {
            let samples = SIMD8<Int32>(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 2 * index, as: SIMD8<Int16>.self))
            let values = SIMD8<Float>(samples)
            sums += values * values
            index += 8
        }
        var sum = sums.sum()
        while index < count {
            let sample = Float(pcm[index])
            sum += sample * sample
            index += 1
        }
        guard sum >= 32_000 * 32_000 else { return (sum, 0) }
        var clipped = 0
        for offset in 0..<count where abs(Int(pcm[offset])) >= 32_000 { clipped += 1 }
        return (sum, clipped)
    }
}
